"""Targets with their status, and agents flagged by their team's z-scores."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from kpis import definitions, rollup
from kpis.models import Target
from kpis.selectors import agent_outliers, target_status, targets_status
from tests.factories import AgentFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("key", "target", "margin", "actual", "status"),
    [
        ("service_level", 80, 5, 80, "green"),
        ("service_level", 80, 5, 75, "amber"),
        ("service_level", 80, 5, 74.9, "red"),
        ("aht", 300, 30, 290, "green"),
        ("aht", 300, 30, 330, "amber"),
        ("aht", 300, 30, 331, "red"),
        ("occupancy", 85, 5, 81, "green"),
        ("occupancy", 85, 5, 94, "amber"),
        ("occupancy", 85, 5, 70, "red"),
        ("csat", 80, 5, None, "no data"),
    ],
)
def test_status_follows_the_kpis_direction(key, target, margin, actual, status):
    assert target_status(definitions.BY_KEY[key], target, margin, actual) == status


def test_a_target_names_exactly_its_scope(team_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(kpi="aht", scope="team", value=300, valid_from=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(kpi="aht", scope="center", team=team_a, value=300, valid_from=DAY)
    Target.objects.create(kpi="aht", scope="team", team=team_a, value=300, valid_from=DAY)


def test_targets_status_computes_each_scope_over_its_dates(manager, supervisor_a, team_a, team_b):
    queue = QueueFactory(name="Billing")
    for team, wait in ((team_a, 10), (team_b, 40)):
        agent = AgentFactory(team=team)
        start = datetime(2026, 3, 2, 9, tzinfo=UTC)
        InteractionFactory(queue=queue, agent=agent, team=team, arrived_at=start,
                           answered_at=start + timedelta(seconds=wait),
                           ended_at=start + timedelta(seconds=wait + 100))  # fmt: skip
    rollup.roll_up_days([DAY])
    Target.objects.create(kpi="service_level", value=80, warning_margin=10, valid_from=DAY,
                          due_by=date(2026, 3, 31))  # fmt: skip
    # A team's ASA is its agents' contacts'; its service level is its queues' (Team A
    # serves Billing, Team B serves none: no queue-side number to measure).
    team_a.queues.add(queue)
    Target.objects.create(kpi="asa", scope="team", team=team_a, value=20, valid_from=DAY)
    Target.objects.create(kpi="asa", scope="team", team=team_b, value=20, valid_from=DAY)
    Target.objects.create(kpi="service_level", scope="team", team=team_a, value=40, valid_from=DAY)
    Target.objects.create(kpi="service_level", scope="team", team=team_b, value=40, valid_from=DAY)
    Target.objects.create(kpi="asa", scope="queue", queue=queue, value=20, warning_margin=10,
                          valid_from=DAY)  # fmt: skip

    rows = {(r["scope"], r["scope_name"], r["kpi"]): r for r in targets_status(manager, DAY, DAY)}
    assert (
        rows[("center", "whole center", "service_level")]["actual"] == 50
        and rows[("center", "whole center", "service_level")]["status"] == "red"
    )
    assert rows[("team", "Team A", "asa")]["status"] == "green"
    assert rows[("team", "Team B", "asa")]["status"] == "red"
    assert rows[("team", "Team A", "service_level")]["actual"] == 50  # Billing's, both teams
    assert rows[("team", "Team B", "service_level")]["status"] == "no data"
    rows = {(r["scope"], r["scope_name"]): r for r in targets_status(manager, DAY, DAY)
            if r["kpi"] != "service_level" or r["scope"] != "team"}  # fmt: skip
    assert (
        rows[("queue", "Billing")]["actual"] == 25
        and rows[("queue", "Billing")]["status"] == "amber"
    )
    assert rows[("center", "whole center")]["distance"] == -30

    client = APIClient()
    client.force_authenticate(supervisor_a)
    seen = client.get("/api/v1/targets/status/?start=2026-03-02&end=2026-03-02").json()
    assert sorted({r["scope_name"] for r in seen}) == ["Billing", "Team A", "whole center"]


def test_outliers_flag_agents_far_from_their_team(team_a):
    queue = QueueFactory(name="Billing")
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    handle = {"a1": 100, "a2": 100, "a3": 100, "a4": 100, "a5": 100, "slow": 400, "new": 999}
    for login, talk in handle.items():
        agent = AgentFactory(team=team_a, login=login)
        for n in range(12 if login != "new" else 3):  # "new" has too few contacts to judge
            at = start + timedelta(minutes=n)
            InteractionFactory(queue=queue, agent=agent, team=team_a, arrived_at=at,
                               answered_at=at + timedelta(seconds=5),
                               ended_at=at + timedelta(seconds=5 + talk),
                               talk_seconds=talk, hold_seconds=0, wrap_seconds=0)  # fmt: skip
    rollup.roll_up_days([DAY])
    rows = {row["agent"]: row for row in agent_outliers(team_a, DAY, DAY)}
    assert "new" not in rows
    slow = rows["slow"]["kpis"]["aht"]
    assert slow["outlier"] and slow["good"] is False and slow["z"] == pytest.approx(5**0.5)
    assert not rows["a1"]["kpis"]["aht"]["outlier"]
