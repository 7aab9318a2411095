"""Coaching sessions: recorded by the agent's supervisor with evaluations and KPI keys
from the registry, read by the agent, follow-ups marked done, overdue ones on the team
page; every forbidden path a 403 or 404 that changes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quality.models import (
    Calibration,
    CoachingSession,
    Evaluation,
    Scorecard,
    ScorecardVersion,
)
from tests.factories import AgentFactory, InteractionFactory, UserFactory

TODAY = timezone.localdate()


@pytest.fixture
def version(db):
    return ScorecardVersion.objects.create(
        scorecard=Scorecard.objects.create(name="Care"), number=1
    )


def evaluation(agent, version, **kwargs):
    contact = InteractionFactory(agent=agent, team=agent.team)
    fields = {"status": "submitted", "points": 3, "possible": 4, "submitted_at": timezone.now()}
    return Evaluation.objects.create(
        contact=contact, agent=agent, version=version, **(fields | kwargs)
    )


@pytest.fixture
def agent_b(team_b):
    user = UserFactory(username="agent-b", role="Agent")
    return AgentFactory(login="B-1", display_name="Bo B", team=team_b, user=user)


def post_session(client, agent, **fields):
    data = {
        "agent": agent.pk,
        "held_on": TODAY.isoformat(),
        "discussed": "Greeting without the customer's name.",
        "action": "Use the name twice per call.",
        "follow_up_on": (TODAY + timedelta(days=14)).isoformat(),
    } | fields
    return client.post(reverse("coaching-new"), data)


def session(agent, coach, **kwargs):
    fields = {"held_on": TODAY - timedelta(days=20), "discussed": "Holds", "action": "Fewer holds"}
    return CoachingSession.objects.create(agent=agent, coach=coach, **(fields | kwargs))


def test_a_supervisor_records_a_session_with_evaluations_and_kpis(
    client, supervisor_a, agent_a, version
):
    cited = evaluation(agent_a, version)
    client.force_login(supervisor_a)
    assert client.get(reverse("coaching-new"), {"agent": agent_a.pk}).status_code == 200
    response = post_session(client, agent_a, evaluations=[cited.pk], kpis=["aht", "quality_score"])
    stored = CoachingSession.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "coaching-detail", args=[stored.pk]
    )
    assert stored.agent == agent_a and stored.coach == supervisor_a
    assert stored.kpis == ["aht", "quality_score"]
    assert list(stored.evaluations.all()) == [cited]
    assert stored.follow_up_on == TODAY + timedelta(days=14)
    page = client.get(response.url).content.decode()
    assert "Use the name twice per call." in page and "Quality score" in page
    assert "Mark the follow-up done" in page


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"kpis": ["no_such_kpi"]}, "kpis"),
        ({"kpis": ["service_level"]}, "kpis"),  # a queue's KPI, not an agent's
        ({"follow_up_on": (TODAY - timedelta(days=1)).isoformat()}, "follow_up_on"),
        ({"discussed": ""}, "discussed"),
        ({"held_on": "31/02/2026"}, "held_on"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(
    client, supervisor_a, agent_a, fields, field
):
    client.force_login(supervisor_a)
    response = post_session(client, agent_a, **fields)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not CoachingSession.objects.exists()


def test_only_the_agents_own_submitted_evaluations_may_be_linked(
    client, supervisor_a, agent_a, version, manager
):
    other = evaluation(AgentFactory(team=agent_a.team), version)
    draft = evaluation(agent_a, version, status="draft")
    calibration = Calibration.objects.create(contact=draft.contact, version=version)
    calibrated = evaluation(agent_a, version, calibration=calibration, evaluator=manager)
    client.force_login(supervisor_a)
    for wrong in (other, draft, calibrated):
        response = post_session(client, agent_a, evaluations=[wrong.pk])
        assert response.status_code == 400 and response.context["form"].errors["evaluations"]
    assert not CoachingSession.objects.exists()


def test_a_supervisor_cannot_coach_another_teams_agent(client, supervisor_b, agent_a):
    client.force_login(supervisor_b)
    assert client.get(reverse("coaching-new"), {"agent": agent_a.pk}).status_code == 404
    assert post_session(client, agent_a).status_code == 404
    assert client.get(reverse("coaching-new"), {"agent": "x"}).status_code == 400
    assert not CoachingSession.objects.exists()


def test_agents_read_their_own_sessions_only_and_change_nothing(
    client, agent_a, agent_b, supervisor_a, supervisor_b
):
    mine = session(agent_a, supervisor_a, follow_up_on=TODAY - timedelta(days=1))
    theirs = session(agent_b, supervisor_b)
    client.force_login(agent_a.user)
    listing = client.get(reverse("coaching-list"))
    assert [row.pk for row in listing.context["rows"]] == [mine.pk]
    page = client.get(reverse("coaching-detail", args=[mine.pk]))
    assert page.status_code == 200 and "Mark the follow-up done" not in page.content.decode()
    assert client.get(reverse("coaching-detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("coaching-follow-up", args=[mine.pk])).status_code == 403
    assert client.get(reverse("coaching-new")).status_code == 403
    assert post_session(client, agent_a).status_code == 403
    mine.refresh_from_db()
    assert mine.followed_up_at is None and CoachingSession.objects.count() == 2


def test_the_follow_up_is_marked_done_once_by_the_agents_coach_side(
    client, supervisor_a, supervisor_b, agent_a, manager
):
    item = session(agent_a, manager, follow_up_on=TODAY - timedelta(days=2))
    client.force_login(supervisor_b)
    assert client.post(reverse("coaching-follow-up", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.followed_up_at is None
    client.force_login(supervisor_a)
    assert client.get(reverse("coaching-follow-up", args=[item.pk])).status_code == 405
    assert client.post(reverse("coaching-follow-up", args=[item.pk])).status_code == 302
    item.refresh_from_db()
    done = item.followed_up_at
    assert done is not None
    assert client.post(reverse("coaching-follow-up", args=[item.pk])).status_code == 400
    item.refresh_from_db()
    assert item.followed_up_at == done


def test_overdue_follow_ups_show_on_the_team_page(
    client, supervisor_a, agent_a, agent_b, supervisor_b
):
    overdue = session(agent_a, supervisor_a, follow_up_on=TODAY - timedelta(days=3))
    session(agent_a, supervisor_a, follow_up_on=TODAY + timedelta(days=3))  # not yet due
    session(agent_a, supervisor_a, follow_up_on=TODAY - timedelta(days=5),
            followed_up_at=timezone.now())  # fmt: skip
    other = session(agent_b, supervisor_b, follow_up_on=TODAY - timedelta(days=3))
    client.force_login(supervisor_a)
    page = client.get(reverse("team-detail", args=[agent_a.team.pk]))
    assert [s.pk for s in page.context["overdue_follow_ups"]] == [overdue.pk]
    content = page.content.decode()
    assert reverse("coaching-detail", args=[overdue.pk]) in content
    assert reverse("coaching-detail", args=[other.pk]) not in content
    quiet = client.get(reverse("team-detail", args=[agent_a.team.pk]), {"period": "today"})
    assert 'id="overdue-follow-ups"' in quiet.content.decode()


def test_the_list_exports_csv_and_has_an_empty_state(client, supervisor_a, agent_a):
    client.force_login(supervisor_a)
    assert "No coaching session yet" in client.get(reverse("coaching-list")).content.decode()
    session(agent_a, supervisor_a)
    response = client.get(reverse("coaching-list"), {"export": "sessions"})
    body = b"".join(response.streaming_content).decode()
    assert body.lstrip("\ufeff").startswith("agent,held_on,coach") and "Fewer holds" in body
