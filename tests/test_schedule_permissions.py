"""The permission matrix: a supervisor changes only their own teams' rosters and
schedules, an agent only asks for their own time off. Every forbidden path, by page,
form post and API, is refused and changes nothing."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse

from agents.models import Agent, AgentSkill
from scheduling import services
from scheduling.models import Shift, ShiftTemplate, TimeOff
from tests.factories import AgentFactory, SkillFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, tzinfo=UTC).date()


def at(hour, day=MONDAY):
    return datetime.combine(day, time(hour), tzinfo=UTC)


@pytest.fixture
def world(supervisor_a, supervisor_b, agent_a, agent_b):
    skill = SkillFactory(name="Billing")
    AgentSkill.objects.create(agent=agent_b, skill=skill, proficiency=3)
    return {
        "skill": skill,
        "shift_a": services.shift_create(agent=agent_a, start=at(8), end=at(16)),
        "shift_b": services.shift_create(agent=agent_b, start=at(8), end=at(16)),
        "time_off_b": services.time_off_create(
            agent=agent_b, start=at(0, MONDAY + timedelta(days=9)),
            end=at(0, MONDAY + timedelta(days=10)),
        ),
        "free": AgentFactory(team=None, login="FREE-1"),
        "template": ShiftTemplate.objects.create(name="Early", start_time=time(7), minutes=480),
    }  # fmt: skip


def snapshot():
    """Everything a roster or schedule change could touch."""
    return (
        sorted(Agent.objects.values_list("login", "team_id", "active")),
        sorted(AgentSkill.objects.values_list("agent_id", "skill_id", "proficiency")),
        sorted(Shift.objects.values_list("agent_id", "team_id", "start", "end", "note")),
        sorted(TimeOff.objects.values_list("agent_id", "start", "status")),
    )


def forbidden_posts(w, team_a, team_b, agent_a, agent_b):
    """(url, data) of changes to team B, its agent, shift, skill and time off."""
    day = str(MONDAY + timedelta(days=1))
    return [
        (reverse("roster-add", args=[team_b.pk]), {"agent": w["free"].pk}),
        (reverse("agent-move", args=[agent_b.pk]), {"team": team_a.pk}),
        (reverse("agent-active", args=[agent_b.pk]), {"active": "0"}),
        (reverse("agent-skills", args=[agent_b.pk]), {"skill": w["skill"].pk, "proficiency": 5}),
        (reverse("agent-skills", args=[agent_b.pk]), {"remove": w["skill"].pk}),
        (reverse("shift-new", args=[team_b.pk]),
         {"agent": agent_b.pk, "day": day, "start": "08:00", "end": "16:00"}),
        (reverse("shift-edit", args=[w["shift_b"].pk]),
         {"agent": agent_b.pk, "day": day, "start": "09:00", "end": "17:00"}),
        (reverse("shift-edit", args=[w["shift_b"].pk]), {"delete": "1"}),
        (reverse("shift-move", args=[w["shift_b"].pk]), {"day": day, "start": "10:00"}),
        (reverse("schedule-copy", args=[team_b.pk]), {"what": "week", "day": str(MONDAY)}),
        (reverse("template-apply", args=[team_b.pk]),
         {"template": w["template"].pk, "agents": [agent_b.pk], "days": [day], "week": str(MONDAY)}),
        (reverse("time-off-new", args=[team_b.pk]),
         {"agent": agent_b.pk, "first_day": day, "last_day": day, "status": "approved"}),
        (reverse("time-off-decide", args=[w["time_off_b"].pk]), {"status": "approved"}),
        # Team A's forms naming team B's agent.
        (reverse("shift-new", args=[team_a.pk]),
         {"agent": agent_b.pk, "day": day, "start": "08:00", "end": "16:00"}),
        (reverse("time-off-new", args=[team_a.pk]),
         {"agent": agent_b.pk, "first_day": day, "last_day": day, "status": "approved"}),
        (reverse("template-apply", args=[team_a.pk]),
         {"template": w["template"].pk, "agents": [agent_b.pk], "days": [day], "week": str(MONDAY)}),
        # Moving one's own agent to a team one does not supervise.
        (reverse("agent-move", args=[agent_a.pk]), {"team": team_b.pk}),
        (reverse("agent-schedule", args=[agent_b.pk]),
         {"agent": agent_b.pk, "first_day": day, "last_day": day}),
        (reverse("agent-new"), {"login": "X-1", "hourly_cost": "0"}),
    ]  # fmt: skip


def test_supervisor_cannot_change_another_teams_roster_or_schedule(
    client, world, supervisor_a, team_a, team_b, agent_a, agent_b
):
    client.force_login(supervisor_a)
    before = snapshot()
    statuses = []
    for url, data in forbidden_posts(world, team_a, team_b, agent_a, agent_b):
        response = client.post(url, data, follow=True)
        statuses.append(response.status_code)
        if response.redirect_chain:  # refused with a message, back on one's own page
            assert "error" in {m.level_tag for m in response.context["messages"]}, url
        assert snapshot() == before, url
    # Team B's objects do not exist for them; team A's forms refuse team B's agent.
    assert statuses == [404] * 13 + [400, 200, 400, 200, 404, 404]


def test_supervisor_cannot_see_another_teams_pages(client, world, supervisor_a, team_b, agent_b):
    client.force_login(supervisor_a)
    urls = [
        reverse("team-roster", args=[team_b.pk]),
        reverse("team-schedule", args=[team_b.pk]),
        reverse("team-adherence", args=[team_b.pk]),
        reverse("schedule-import", args=[team_b.pk]),
        reverse("shift-edit", args=[world["shift_b"].pk]),
        reverse("agent-skills", args=[agent_b.pk]),
        reverse("agent-history", args=[agent_b.pk]),
        reverse("agent-schedule", args=[agent_b.pk]),
        reverse("agent-calendar", args=[agent_b.pk]),
        reverse("agent-new"),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_agent_sees_own_schedule_and_changes_nothing_else(
    client, world, agent_a, agent_b, team_a, team_b
):
    client.force_login(agent_a.user)
    before = snapshot()
    for url, data in forbidden_posts(world, team_a, team_b, agent_a, agent_b):
        assert client.post(url, data).status_code in (400, 403, 404), url
    own_posts = [
        (reverse("shift-edit", args=[world["shift_a"].pk]), {"delete": "1"}),
        (reverse("agent-skills", args=[agent_a.pk]), {"skill": world["skill"].pk, "proficiency": 5}),
        (reverse("agent-active", args=[agent_a.pk]), {"active": "0"}),
        (reverse("shift-new", args=[team_a.pk]),
         {"agent": agent_a.pk, "day": str(MONDAY), "start": "18:00", "end": "20:00"}),
    ]  # fmt: skip
    for url, data in own_posts:
        assert client.post(url, data).status_code == 404, url
    assert snapshot() == before
    for name in ("team-roster", "team-schedule", "team-adherence"):
        assert client.get(reverse(name, args=[team_a.pk])).status_code == 404
    assert client.get(reverse("agent-schedule", args=[agent_a.pk])).status_code == 200
    assert client.get(reverse("agent-calendar", args=[agent_a.pk])).status_code == 200
    assert client.get(reverse("agent-history", args=[agent_a.pk])).status_code == 200
    # Asking for time off is theirs to do; it waits for the supervisor.
    day = str(MONDAY + timedelta(days=3))
    response = client.post(reverse("agent-schedule", args=[agent_a.pk]),
                           {"agent": agent_a.pk, "first_day": day, "last_day": day})  # fmt: skip
    assert response.status_code == 302
    assert agent_a.time_off.get().status == "requested"


def test_schedules_api_serves_only_what_the_caller_may_see(
    client, world, supervisor_a, manager, agent_a
):
    url = reverse("api:schedules") + f"?start={MONDAY}&end={MONDAY}"
    for user, logins in (
        (manager, {"A-1", "B-1"}),
        (supervisor_a, {"A-1"}),
        (agent_a.user, {"A-1"}),
    ):
        client.force_login(user)
        body = client.get(url).json()
        assert {row["agent"] for row in body["results"]} == logins
    client.force_login(supervisor_a)
    assert client.get(url + "&agent=B-1").json()["count"] == 0
    before = snapshot()
    assert (
        client.post(reverse("api:schedules"), {}, content_type="application/json").status_code
        == 405
    )
    assert client.delete(reverse("api:schedules")).status_code == 405
    assert snapshot() == before


def test_a_moved_agents_past_shifts_stay_with_the_team_they_were_worked_for(
    client, world, manager, supervisor_a, supervisor_b, team_a, team_b, agent_b
):
    from agents import services as roster

    Shift.objects.filter(pk=world["shift_b"].pk).update(note="B's own note")
    roster.agent_move(agent=agent_b, team=team_a, by=manager)  # the shift is in the past
    client.force_login(supervisor_a)
    before = snapshot()
    assert (
        client.post(reverse("shift-edit", args=[world["shift_b"].pk]), {"delete": "1"}).status_code
        == 404
    )
    assert snapshot() == before
    grid = client.get(
        reverse("team-schedule", args=[team_a.pk]) + f"?week={MONDAY}"
    ).content.decode()
    assert "B&#x27;s own note" not in grid and "B's own note" not in grid
    client.force_login(supervisor_b)
    grid = client.get(
        reverse("team-schedule", args=[team_b.pk]) + f"?week={MONDAY}"
    ).content.decode()
    assert f'data-shift="{world["shift_b"].pk}"' in grid
    response = client.post(reverse("shift-edit", args=[world["shift_b"].pk]), {"delete": "1"})
    assert response.status_code == 302
    assert not Shift.objects.filter(pk=world["shift_b"].pk).exists()


def test_bad_input_is_an_answer_not_a_crash(client, world, manager, supervisor_a, team_a, agent_a):
    client.force_login(supervisor_a)
    for week in ("9999-12-31", "0001-01-01", "not-a-date"):
        assert (
            client.get(reverse("team-schedule", args=[team_a.pk]) + f"?week={week}").status_code
            == 200
        )
        assert (
            client.get(reverse("agent-schedule", args=[agent_a.pk]) + f"?week={week}").status_code
            == 200
        )
    form = {"agent": agent_a.pk, "day": "2026-03-04", "start": "08:00", "end": "16:00",
            "activities": "break 10:00Z-10:15Z"}  # fmt: skip
    response = client.post(reverse("shift-new", args=[team_a.pk]), form)
    assert response.status_code == 400 and "is not a time like 08:30" in response.content.decode()
    response = client.post(reverse("time-off-new", args=[team_a.pk]), {
        "agent": agent_a.pk, "first_day": "2026-03-04", "last_day": "9999-12-31",
        "status": "approved"}, follow=True)  # fmt: skip
    assert "out of range" in response.content.decode()
    report = services.schedule_import(
        data=b"agent,date,start,end\nA-1,2026-03-05,08:00Z,16:00\nA-1,9999-12-31,08:00,16:00\n",
        agents=[agent_a],
    )
    assert [row.status for row in report.rows] == ["rejected", "rejected"]
    assert (
        client.post(reverse("agent-skills", args=[agent_a.pk]), {"remove": "abc"}).status_code
        == 404
    )
    # An agent without a team: their shift and time off are still managed, from their page.
    client.force_login(manager)
    loner = AgentFactory(team=None, login="LONER")
    shift = services.shift_create(agent=loner, start=at(8), end=at(16))
    assert client.get(reverse("shift-edit", args=[shift.pk])).status_code == 200
    moved = client.post(
        reverse("shift-move", args=[shift.pk]), {"day": "2026-03-03", "start": "09:00"}
    )
    assert moved.url.startswith(reverse("agent-schedule", args=[loner.pk]))
    off = services.time_off_create(agent=loner, start=at(0, MONDAY + timedelta(days=20)),
                                   end=at(0, MONDAY + timedelta(days=21)))  # fmt: skip
    decided = client.post(reverse("time-off-decide", args=[off.pk]), {"status": "approved"})
    assert decided.url.startswith(reverse("agent-schedule", args=[loner.pk]))
    deleted = client.post(reverse("shift-edit", args=[shift.pk]), {"delete": "1"})
    assert deleted.status_code == 302 and not Shift.objects.filter(pk=shift.pk).exists()


def test_the_admin_shows_schedules_but_plans_nothing(client, admin_user, world):
    client.force_login(admin_user)
    shift = world["shift_a"]
    assert client.get(reverse("admin:scheduling_shift_change", args=[shift.pk])).status_code == 200
    before = snapshot()
    response = client.post(reverse("admin:scheduling_shift_change", args=[shift.pk]),
                           {"agent": shift.agent_id, "start_0": "2026-03-02", "start_1": "20:00:00",
                            "end_0": "2026-03-03", "end_1": "04:00:00"})  # fmt: skip
    assert response.status_code == 403
    assert client.get(reverse("admin:scheduling_timeoff_add")).status_code == 403
    assert snapshot() == before
