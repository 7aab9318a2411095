"""GET /api/v1/staffing/: one local day per 15-minute interval (DST days included), its
numbers the engine's on the stored forecast and the selectors' scheduled agents,
scoping and bad input."""

import csv
import io
from datetime import UTC, date, time, timedelta

import numpy as np
import pytest
from rest_framework.test import APIClient

from core.localtime import at_local, local_days, local_today, monday_of
from forecasting.models import Forecast, QueueGroup
from kpis import rollup
from kpis.models import Target
from staffing import erlang, selectors
from staffing.models import QueueStaffing, TeamStaffing
from tests.factories import (
    AgentFactory,
    AgentSkillFactory,
    InteractionFactory,
    QueueFactory,
    ShiftActivityFactory,
    ShiftFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 9)
MODEL_KEYS = {"agents", "heads", "difference"}
ROW_KEYS = {"start", "queue", "contacts", "aht_seconds", "agents_scheduled", *erlang.MODELS}


def get(user, query):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.get(f"/api/v1/staffing/?{query}")


def store(queue, day, contacts, aht=200.0):
    """A forecast for every interval of the local day: contacts(k) of its index k."""
    begin, end = (bound.astimezone(UTC) for bound in local_days(day))
    starts = []
    while begin < end:
        starts.append(begin)
        begin += timedelta(minutes=15)
    Forecast.objects.bulk_create(
        Forecast(queue=queue, start=start, contacts=contacts(k), method="holt_winters",
                 aht_seconds=aht if contacts(k) else None)
        for k, start in enumerate(starts)
    )  # fmt: skip


@pytest.fixture
def served(team_a, team_b):
    """Sales (skill "sales", served by Team A) has a forecast and two agents on shift
    09:00-17:00, one with a lunch; Support is Team B's."""
    sales = QueueFactory(name="Sales", required_skill=SkillFactory(name="sales"))
    support = QueueFactory(name="Support")
    team_a.queues.add(sales)
    team_b.queues.add(support)
    TeamStaffing.objects.create(team=team_a, shrinkage=0.3)
    QueueStaffing.objects.create(queue=sales, patience_seconds=120)
    store(sales, DAY, lambda k: 40.0 if 36 <= k < 68 else 0.0)
    store(support, DAY, lambda k: 5.0)
    for number in range(2):
        agent = AgentFactory(team=team_a)
        AgentSkillFactory(agent=agent, skill=sales.required_skill)
        shift = ShiftFactory(agent=agent, start=at_local(DAY, time(9)), end=at_local(DAY, time(17)))
        if number:
            ShiftActivityFactory(shift=shift, kind="lunch", start=at_local(DAY, time(12)),
                                 end=at_local(DAY, time(12, 30)))  # fmt: skip
    return sales, support


def test_every_interval_of_the_day_with_the_engines_numbers(manager, served):
    sales, _ = served
    response = get(manager, "queue=Sales&date=2026-03-09")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["date"], body["queue"]) == ("2026-03-09", "Sales")
    [settings] = body["queues"]
    assert settings["patience_seconds"] == 120 and settings["patience_source"] == "override"
    assert settings["shrinkage"] == 0.3 and settings["answer_seconds"] == 20
    rows = body["results"]
    assert len(rows) == 96 and all(set(row) == ROW_KEYS for row in rows)
    assert all(set(row[model]) == MODEL_KEYS for row in rows for model in erlang.MODELS)
    assert rows[40]["start"] == "2026-03-09T10:00:00+00:00"
    assert rows[0]["contacts"] == 0 and rows[0]["aht_seconds"] is None
    scheduled = selectors.scheduled_agents([sales], DAY, 1)
    for model in erlang.MODELS:
        needed = erlang.agents_needed(
            model, 40.0, 200.0, 900, 0.8, 20, max_occupancy=0.85,
            patience_seconds=120 if model == "erlang_a" else None,
        )  # fmt: skip
        assert rows[40][model] == {
            "agents": needed,
            "heads": erlang.scheduled(needed, 0.3),
            "difference": 2 - needed,
        }
        assert rows[0][model] == {"agents": 0, "heads": 0, "difference": 0}
        assert [row[model]["difference"] for row in rows] == pytest.approx(
            [row["agents_scheduled"] - row[model]["agents"] for row in rows]
        )
    assert [row["agents_scheduled"] for row in rows] == scheduled.tolist()
    assert rows[48]["agents_scheduled"] == 1  # 12:00: one at lunch
    assert rows[40]["agents_scheduled"] == 2


@pytest.mark.parametrize(("day", "count"), [("2026-03-08", 92), ("2026-11-01", 100)])
def test_a_dst_day_has_its_23_or_25_hours(settings, manager, day, count):
    settings.TIME_ZONE = "America/New_York"
    queue = QueueFactory(name="Sales")
    store(queue, date.fromisoformat(day), lambda k: 10.0)
    rows = get(manager, f"queue=Sales&date={day}").json()["results"]
    assert len(rows) == count
    starts = [row["start"] for row in rows]
    if count == 92:
        assert f"{day}T01:45:00-05:00" in starts and f"{day}T03:00:00-04:00" in starts
        assert not any("T02:" in start for start in starts)
    else:
        assert f"{day}T01:00:00-04:00" in starts and f"{day}T01:00:00-05:00" in starts
    assert rows[-1]["start"].startswith(f"{day}T23:45:00")
    assert all(row["contacts"] == 10 for row in rows)


def test_a_group_adds_its_queues_needs(manager, served):
    sales, support = served
    group = QueueGroup.objects.create(name="Everything")
    group.queues.add(sales, support)
    body = get(manager, "group=Everything&date=2026-03-09").json()
    assert [part["queue"] for part in body["queues"]] == ["Sales", "Support"]
    rows = body["results"]
    one = {name: get(manager, f"queue={name}&date=2026-03-09").json()["results"]
           for name in ("Sales", "Support")}  # fmt: skip
    for k in (0, 40):
        assert rows[k]["queue"] == "Everything"
        assert rows[k]["contacts"] == one["Sales"][k]["contacts"] + one["Support"][k]["contacts"]
        for model in erlang.MODELS:
            assert rows[k][model]["agents"] == (
                one["Sales"][k][model]["agents"] + one["Support"][k][model]["agents"]
            )
    # Agents with the skill of any of its queues: Support has none, so Team B's agents
    # (none scheduled) and Sales' skilled two.
    assert rows[40]["agents_scheduled"] == 2
    expected = selectors.scheduled_agents([sales, support], DAY, 1)
    assert np.allclose([row["agents_scheduled"] for row in rows], expected)


def test_a_supervisor_sees_their_teams_queues_only(supervisor_a, served):
    assert get(supervisor_a, "queue=Sales&date=2026-03-09").status_code == 200
    assert get(supervisor_a, "queue=Support&date=2026-03-09").status_code == 404
    assert get(supervisor_a, "queue=Nowhere&date=2026-03-09").status_code == 404
    group = QueueGroup.objects.create(name="Both")
    group.queues.add(*served)
    assert get(supervisor_a, "group=Both&date=2026-03-09").status_code == 404


def test_agents_and_anonymous_callers_are_refused(agent_a, served):
    assert get(agent_a.user, "queue=Sales&date=2026-03-09").status_code == 403
    assert get(None, "queue=Sales&date=2026-03-09").status_code in (401, 403)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date=2026-03-09", "queue"),
        ("queue=Sales", "date"),
        ("queue=Sales&date=2026-13-01", "date"),
        ("queue=Sales&date=tomorrow", "date"),
        ("queue=Sales&group=Care&date=2026-03-09", "group"),
        ("queue=Sales&queue=Support&date=2026-03-09", "queue"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(manager, served, query, field):
    response = get(manager, query)
    assert response.status_code == 400
    assert field in response.json()


def test_a_wednesday_interval_has_the_same_agents_in_the_coverage_week_and_the_api_day(
    client, manager, team_a
):
    """Read in a week (coverage) or in its day (the API), an interval gets the same
    agents: the target in force on its own day (a queue target from Wednesday) and the
    patience of the weeks before today, whatever the range (abandons in the week itself,
    before Wednesday, count in neither)."""
    week = monday_of(local_today()) + timedelta(days=7)
    wednesday = week + timedelta(days=2)
    sales = QueueFactory(name="Sales", required_skill=SkillFactory(name="sales"))
    team_a.queues.add(sales)
    store(sales, wednesday, lambda k: 40.0 if 36 <= k < 44 else 0.0, aht=240.0)
    Target.objects.create(kpi="service_level", scope="center", value=80, valid_from=week)
    Target.objects.create(kpi="service_level", scope="queue", queue=sales, value=95,
                          valid_from=wednesday)  # fmt: skip
    # Abandons last week and on the Monday planned (patience 30 s, then 400 s).
    for day, wait in ((local_today() - timedelta(days=3), 30), (week, 400)):
        at = at_local(day, time(10))
        InteractionFactory(queue=sales, arrived_at=at, answered_at=None,
                           ended_at=at + timedelta(seconds=wait))  # fmt: skip
    rollup.roll_up_days([local_today() - timedelta(days=3), week])

    client.force_login(manager)
    csv_text = client.get(f"/staffing/?scope=queue:Sales&week={week}&export=intervals")
    text = b"".join(csv_text.streaming_content).decode("utf-8-sig")
    rows = {row["start"]: row for row in csv.DictReader(io.StringIO(text))}
    day = get(manager, f"queue=Sales&date={wednesday}").json()
    assert day["queues"][0]["target_service_level"] == 0.95
    assert day["queues"][0]["patience_seconds"] == pytest.approx(30.0)
    compared = 0
    for row in day["results"]:
        if row["contacts"]:
            week_row = rows[row["start"]]
            assert float(week_row["required_erlang_a"]) == row["erlang_a"]["agents"]
            assert float(week_row["required_erlang_c"]) == row["erlang_c"]["agents"]
            compared += 1
    assert compared == 8
    expected = erlang.agents_needed("erlang_a", 40, 240, 900, 0.95, 20, max_occupancy=0.85,
                                    patience_seconds=30.0)  # fmt: skip
    assert day["results"][36]["erlang_a"]["agents"] == expected
