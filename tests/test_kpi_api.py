"""GET /api/v1/kpis/: the spec's shape, validation, scoping, and the rollup command."""

from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from kpis.models import ContactDay
from tests.factories import AgentFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rolled(team_a, team_b):
    billing = QueueFactory(name="Billing")
    for team, login in ((team_a, "n1"), (team_b, "s1")):
        agent = AgentFactory(team=team, login=login)
        InteractionFactory(queue=billing, agent=agent, team=team,
                           arrived_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # fmt: skip
    call_command("rollup_kpis", "--start", "2026-03-01", "--end", "2026-03-03")


def get(user, query):
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/kpis/?{query}")


def test_the_answer_has_the_specs_shape_and_no_gaps(manager, rolled):
    response = get(manager, "start=2026-03-01&end=2026-03-03&granularity=day&group_by=queue")
    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"], body["granularity"], body["time_zone"]) == (
        "2026-03-01",
        "2026-03-03",
        "day",
        "UTC",
    )
    assert [row["period_start"] for row in body["results"]] == [
        "2026-03-01T00:00:00+00:00",
        "2026-03-02T00:00:00+00:00",
        "2026-03-03T00:00:00+00:00",
    ]
    assert [row["kpis"]["offered"] for row in body["results"]] == [0, 2, 0]
    assert body["results"][0]["kpis"]["service_level"] is None
    assert body["results"][1]["group"] == {"queue": "Billing"}
    assert body["results"][1]["components"]["answered_in_sl"] == 2


def test_kpis_parameter_limits_the_answer(manager, rolled):
    body = get(manager, "start=2026-03-02&end=2026-03-02&kpis=offered,aht").json()
    assert set(body["results"][0]["kpis"]) == {"offered", "aht"}


def test_a_supervisors_token_sees_only_their_teams(supervisor_a, rolled):
    body = get(supervisor_a, "start=2026-03-02&end=2026-03-02&group_by=team").json()
    assert [row["group"] for row in body["results"]] == [{"team": "Team A"}]
    [row] = get(supervisor_a, "start=2026-03-02&end=2026-03-02").json()["results"]
    # A team's numbers are its agents' contacts: "offered" belongs to queues, not teams.
    assert row["kpis"]["answered"] == 1 and row["kpis"]["offered"] is None
    assert "offered" in row["not_applicable"] and "service_level" in row["not_applicable"]


def test_an_agent_sees_only_their_own_numbers(agent_a, rolled):
    InteractionFactory(
        agent=agent_a, team=agent_a.team, arrived_at=datetime(2026, 3, 2, 10, tzinfo=UTC)
    )
    call_command("rollup_kpis", "--start", "2026-03-02", "--end", "2026-03-02")
    body = get(agent_a.user, "start=2026-03-02&end=2026-03-02&group_by=agent").json()
    assert [(r["group"], r["kpis"]["answered"]) for r in body["results"]] == [({"agent": "A-1"}, 1)]
    [row] = get(agent_a.user, "start=2026-03-02&end=2026-03-02").json()["results"]
    assert row["kpis"]["handled"] == 1 and row["kpis"]["abandonment_rate"] is None
    assert "abandonment_rate" in row["not_applicable"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("end=2026-03-02", "start"),
        ("start=2026-03-05&end=2026-03-02", "end"),
        ("start=2026-03-01&end=2026-03-02&granularity=fortnight", "granularity"),
        ("start=2026-03-01&end=2026-03-02&group_by=weather", "group_by"),
        ("start=2026-03-01&end=2026-03-02&kpis=offered,happiness", "kpis"),
        ("start=2026-01-01&end=2026-12-31&granularity=interval", "end"),
        ("start=2026-03-01&end=2026-03-02&team=a%00b", "team"),
    ],
)
def test_bad_parameters_are_named(manager, query, field):
    response = get(manager, query)
    assert response.status_code == 400 and field in response.json()


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/kpis/?start=2026-03-01&end=2026-03-01").status_code in (401, 403)


def test_rollup_command_all_and_errors(rolled, capsys):
    ContactDay.objects.all().delete()
    call_command("rollup_kpis", "--all")
    assert "Rolled up 1 days" in capsys.readouterr().out
    assert ContactDay.objects.count() == 2  # one per team
    with pytest.raises(CommandError):
        call_command("rollup_kpis", "--start", "2026-03-02")
