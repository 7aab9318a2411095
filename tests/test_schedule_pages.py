"""Roster, schedule and adherence pages through the real views and forms."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.models import AgentStateEvent
from scheduling import services
from scheduling.models import ScheduleImportJob, Shift, ShiftTemplate, ShiftTemplateActivity
from scheduling.services import Span
from scheduling.tasks import run_schedule_import
from tests.factories import AgentFactory, SkillFactory

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)


def at(clock, day=MONDAY):
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def grid(team):
    return reverse("team-schedule", args=[team.pk]) + f"?week={MONDAY}"


def test_supervisor_adds_a_shift_and_sees_each_broken_rule(client, supervisor_a, team_a, agent_a):
    client.force_login(supervisor_a)
    form = {"agent": agent_a.pk, "day": "2026-03-03", "start": "08:00", "end": "16:30",
            "activities": "break 10:00-10:15; lunch 12:00-12:30", "note": "cover"}  # fmt: skip
    response = client.post(reverse("shift-new", args=[team_a.pk]), form)
    assert response.status_code == 302 and response.url.endswith("week=2026-03-02")
    shift = Shift.objects.get()
    assert [a.kind for a in shift.activities.all()] == ["work", "break", "work", "lunch", "work"]
    page = client.get(grid(team_a)).content.decode()
    assert "08:00–16:30" in page and 'class="segment kind-lunch"' in page

    clash = {**form, "start": "16:00", "end": "18:00", "activities": "lunch 19:00-19:30"}
    response = client.post(reverse("shift-new", args=[team_a.pk]), clash)
    assert response.status_code == 400
    text = response.content.decode()
    assert "overlaps the shift Tue 3 Mar 08:00–16:30" in text
    assert "is outside the shift" in text
    assert "data-open-on-load" in text  # the dialog opens again with the errors
    bad_kind = {**form, "day": "2026-03-04", "activities": "nap 10:00-10:15"}
    assert "&#x27;nap&#x27; is not one of" in client.post(
        reverse("shift-new", args=[team_a.pk]), bad_kind).content.decode()  # fmt: skip
    assert Shift.objects.count() == 1


def test_edit_in_place_move_and_delete(client, supervisor_a, team_a, agent_a):
    shift = services.shift_create(agent=agent_a, start=at("08:00"), end=at("16:00"),
                                  spans=[Span("lunch", at("12:00"), at("12:30"))])  # fmt: skip
    client.force_login(supervisor_a)
    partial = client.get(reverse("shift-edit", args=[shift.pk]) + "?partial=1").content.decode()
    assert "<html" not in partial and 'value="lunch 12:00-12:30"' in partial
    response = client.post(reverse("shift-edit", args=[shift.pk]), {
        "agent": agent_a.pk, "day": "2026-03-02", "start": "09:00", "end": "17:00",
        "activities": "lunch 13:00-13:30; meeting 16:00-16:30"})  # fmt: skip
    assert response.status_code == 302
    shift.refresh_from_db()
    assert (shift.start, shift.end) == (at("09:00"), at("17:00"))
    response = client.post(reverse("shift-move", args=[shift.pk]),
                           {"day": "2026-03-05", "start": "07:00"})  # fmt: skip
    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.start == at("07:00", date(2026, 3, 5))
    assert [(a.kind, f"{a.start:%H:%M}") for a in shift.activities.all()][1] == ("lunch", "11:00")
    client.post(reverse("shift-edit", args=[shift.pk]), {"delete": "1"})
    assert not Shift.objects.exists()
    history = client.get(reverse("agent-history", args=[agent_a.pk])).content.decode()
    assert history.count("sup-a") >= 4  # created, changed, moved, deleted: all by sup-a
    assert "<del>08:00–16:00</del> → <ins>09:00–17:00</ins>" in history  # edited in place
    assert "<del>Mon 02 Mar 09:00–17:00</del> → <ins>Thu 05 Mar 07:00–15:00</ins>" in history


def test_copy_week_template_and_time_off_from_the_grid(client, supervisor_a, team_a, agent_a):
    services.shift_create(agent=agent_a, start=at("08:00"), end=at("16:00"))
    client.force_login(supervisor_a)
    response = client.post(reverse("schedule-copy", args=[team_a.pk]),
                           {"what": "week", "day": "2026-03-04"})  # fmt: skip
    assert response.url.endswith("week=2026-03-09")
    assert Shift.objects.filter(start=at("08:00", date(2026, 3, 9))).exists()
    template = ShiftTemplate.objects.create(name="Late", start_time=time(12), minutes=480)
    ShiftTemplateActivity.objects.create(template=template, kind="break", offset_minutes=120,
                                         minutes=15)  # fmt: skip
    other = AgentFactory(team=team_a)
    response = client.post(reverse("template-apply", args=[team_a.pk]), {
        "template": template.pk, "agents": [agent_a.pk, other.pk], "week": "2026-03-02",
        "days": ["2026-03-03", "2026-03-04"]})  # fmt: skip
    assert response.status_code == 302
    assert Shift.objects.filter(start=at("12:00", date(2026, 3, 3))).count() == 2
    again = client.post(reverse("template-apply", args=[team_a.pk]), {
        "template": template.pk, "agents": [agent_a.pk], "week": "2026-03-02",
        "days": ["2026-03-03"]})  # fmt: skip
    assert again.status_code == 400  # the dialog opens again with the reason in it
    assert "No shift was added:" in again.content.decode()
    assert "overlaps the shift Tue 3 Mar 12:00–20:00" in again.content.decode()
    # Time off on a day with a shift cannot be approved; the message says why.
    response = client.post(reverse("time-off-new", args=[team_a.pk]), {
        "agent": agent_a.pk, "first_day": "2026-03-03", "last_day": "2026-03-03",
        "status": "approved", "reason": "dentist"}, follow=True)  # fmt: skip
    assert "lies on this time off" in response.content.decode()
    assert not agent_a.time_off.exists()  # nothing half-saved
    client.post(reverse("time-off-new", args=[team_a.pk]), {
        "agent": agent_a.pk, "first_day": "2026-03-03", "last_day": "2026-03-03",
        "status": "requested", "reason": "dentist"})  # fmt: skip
    assert agent_a.time_off.get().status == "requested"
    assert "Requests to decide" in client.get(grid(team_a)).content.decode()


def test_csv_import_page_reports_rows(client, supervisor_a, team_a, agent_a):
    client.force_login(supervisor_a)
    data = (b"agent,date,start,end,activities\n"
            b"A-1,2026-03-02,08:00,16:00,lunch 12:00-12:30\n"
            b"B-1,2026-03-02,08:00,16:00,\n")  # fmt: skip
    response = client.post(reverse("schedule-import", args=[team_a.pk]),
                           {"file": SimpleUploadedFile("week.csv", data)})  # fmt: skip
    job = ScheduleImportJob.objects.get()
    assert response.url == reverse("schedule-import-detail", args=[job.pk])
    run_schedule_import(job.pk)  # what the worker does
    text = client.get(response.url).content.decode()
    assert "Done" in text and 'data-summary="rejected">1<' in text
    assert "No agent &#x27;B-1&#x27; on the teams you can schedule." in text
    assert Shift.objects.get().agent == agent_a


def test_roster_add_move_skills_and_new_agent(
    client, manager, supervisor_a, team_a, team_b, agent_a
):
    free = AgentFactory(team=None, login="FREE-1", display_name="Fay Free")
    supervisor_a.supervised_teams.add(team_b)  # supervises both teams
    client.force_login(supervisor_a)
    page = client.get(reverse("team-roster", args=[team_a.pk])).content.decode()
    assert "Fay Free" in page and "Ana A" in page
    client.post(reverse("roster-add", args=[team_a.pk]), {"agent": free.pk})
    free.refresh_from_db()
    assert free.team == team_a
    client.post(reverse("agent-move", args=[agent_a.pk]), {"team": team_b.pk})
    agent_a.refresh_from_db()
    assert agent_a.team == team_b
    skill = SkillFactory(name="Spanish")
    client.post(reverse("agent-skills", args=[agent_a.pk]), {"skill": skill.pk, "proficiency": 4})
    assert agent_a.agent_skills.get().proficiency == 4
    history = client.get(reverse("agent-history", args=[agent_a.pk])).content.decode()
    assert "moved from Team A to Team B" in history
    assert "<del>Team A</del> → <ins>Team B</ins>" in history
    assert "Skill Spanish" in history

    client.force_login(manager)
    response = client.post(reverse("agent-new"), {"login": "N-7", "display_name": "Nat New",
        "team": team_a.pk, "hourly_cost": "31.50", "username": "nat", "password": "short"})  # fmt: skip
    assert response.status_code == 400 and "too short" in response.content.decode()
    response = client.post(reverse("agent-new"), {"login": "N-7", "display_name": "Nat New",
        "team": team_a.pk, "hourly_cost": "31.50", "username": "nat",
        "password": "a-long-enough-password"})  # fmt: skip
    assert response.status_code == 302
    client.logout()
    assert client.login(username="nat", password="a-long-enough-password")


def test_agent_calendar_is_valid_icalendar(client, agent_a):
    day = timezone.localdate() + timedelta(days=2)
    start = services.at_local(day, time(8))
    services.shift_create(agent=agent_a, start=start, end=start + timedelta(hours=8),
                          spans=[Span("lunch", start + timedelta(hours=4),
                                      start + timedelta(hours=4, minutes=30))],
                          note="Covering, Billing; late")  # fmt: skip
    client.force_login(agent_a.user)
    response = client.get(reverse("agent-calendar", args=[agent_a.pk]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith(
        "END:VCALENDAR\r\n"
    )
    assert f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}" in body
    assert "Covering\\, Billing\\; late" in body
    assert "Lunch 12:00–12:30" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_adherence_now_names_who_is_out_and_since_when(client, supervisor_a, team_a, agent_a):
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(hours=2)
    services.shift_create(agent=agent_a, start=start, end=start + timedelta(hours=8),
                          spans=[Span("break", now - timedelta(minutes=30),
                                      now - timedelta(minutes=15))])  # fmt: skip
    on_time = AgentFactory(team=team_a, display_name="Ozzy On-Time")
    services.shift_create(agent=on_time, start=start, end=start + timedelta(hours=8))
    AgentStateEvent.objects.create(agent=agent_a, state="break", at=now - timedelta(minutes=31))
    AgentStateEvent.objects.create(agent=on_time, state="available", at=start)
    client.force_login(supervisor_a)
    response = client.get(reverse("team-adherence", args=[team_a.pk]))
    rows = response.context["rows"]
    assert [(row["agent"].pk, row["status"]) for row in rows] == [
        (agent_a.pk, "out"), (on_time.pk, "in")]  # fmt: skip
    # Out since the break ended and work began, 15 minutes ago, still on break.
    assert rows[0]["out_since"] == now - timedelta(minutes=15)
    assert rows[0]["activity"] == "work" and rows[0]["state"] == "break"
    assert re.search(r'id="out-count">1 <span', response.content.decode())


def test_grid_and_roster_query_counts_do_not_grow_with_agents(client, supervisor_a, team_a):
    client.force_login(supervisor_a)
    counts = []
    for _round in range(2):
        for _ in range(5):
            agent = AgentFactory(team=team_a)
            services.shift_create(agent=agent, start=at("08:00"), end=at("16:00"))
        with CaptureQueriesContext(connection) as grid_queries:
            assert client.get(grid(team_a)).status_code == 200
        with CaptureQueriesContext(connection) as roster_queries:
            assert client.get(reverse("team-roster", args=[team_a.pk])).status_code == 200
        counts.append((len(grid_queries), len(roster_queries)))
    assert counts[0] == counts[1]
    assert counts[0][0] <= 25 and counts[0][1] <= 20


def test_calendar_text_with_carriage_returns_stays_on_its_line(agent_a):
    from scheduling.selectors import agent_ics, agent_shifts

    start = services.at_local(timezone.localdate(), time(8))
    services.shift_create(agent=agent_a, start=start, end=start + timedelta(hours=8),
                          note="line one\r\nline two\rthree")  # fmt: skip
    body = agent_ics(agent_a, agent_shifts(agent_a, timezone.localdate(), 1), "example.org",
                     timezone.now())  # fmt: skip
    assert "DESCRIPTION:line one\\nline two\\nthree\r\n" in body
    assert "\r" not in body.replace("\r\n", "")


def test_teams_page_leads_managers_to_every_team_and_supervisors_to_theirs(
    client, manager, supervisor_a, team_a, team_b, agent_a, agent_b
):
    now = timezone.now()
    services.shift_create(
        agent=agent_a, start=now - timedelta(hours=1), end=now + timedelta(hours=2)
    )
    client.force_login(manager)
    teams = {team.name: team for team in client.get(reverse("team-list")).context["teams"]}
    assert set(teams) == {"Team A", "Team B"}
    assert (teams["Team A"].active_agents, teams["Team A"].on_shift) == (1, 1)
    assert teams["Team B"].on_shift is None
    page = client.get(reverse("team-list")).content.decode()
    assert reverse("team-schedule", args=[team_b.pk]) in page
    client.force_login(supervisor_a)
    assert [t.name for t in client.get(reverse("team-list")).context["teams"]] == ["Team A"]
    client.force_login(agent_a.user)
    assert client.get(reverse("team-list")).status_code == 404
