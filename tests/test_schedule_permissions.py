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
