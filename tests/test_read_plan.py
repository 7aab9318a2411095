"""One KPI read plan (issue 14): the registry's components decide which rollups a read
touches, and the overview's tiles are the sums of its sparklines' rows."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.models import AgentStateEvent
from kpis.rollup import roll_up_days
from kpis.selectors import SeriesRequest, families, kpi_series, total_of
from tests.factories import AgentFactory, CostEntryFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def floor(team_a):
    queue = QueueFactory(name="Billing")
    team_a.queues.add(queue)
    agent = AgentFactory(team=team_a, login="a1")
    for day in range(3):
        for minute in range(0, 120, 7):
            at = T0 + timedelta(days=day, minutes=minute)
            InteractionFactory(queue=queue, agent=agent, team=team_a, arrived_at=at,
                               answered_at=at + timedelta(seconds=minute % 40),
                               ended_at=at + timedelta(seconds=300), csat=1 + minute % 5)  # fmt: skip
        AgentStateEvent.objects.create(agent=agent, state="available", at=T0 + timedelta(days=day))
        AgentStateEvent.objects.create(
            agent=agent, state="offline", at=T0 + timedelta(days=day, hours=3)
        )
    CostEntryFactory(amount=900, start_date=DAY, end_date=DAY + timedelta(days=2))
    roll_up_days([DAY + timedelta(days=n) for n in range(3)])
    return queue


def _tables(queries) -> set[str]:
    found = set()
    for query in queries:
        for table in ("kpis_stateinterval", "kpis_contactinterval", "kpis_contacthour",
                      "kpis_contactday", "kpis_agentday", "interactions_costentry"):  # fmt: skip
            if table in query["sql"]:
                found.add(table)
    return found


def test_the_registry_decides_which_rollups_a_read_touches(manager, floor):
    assert families(SeriesRequest(start=DAY, end=DAY, kpis=("offered", "aht"))) == {"contacts"}
    assert families(SeriesRequest(start=DAY, end=DAY, kpis=("occupancy",))) == {"states"}
    assert families(SeriesRequest(start=DAY, end=DAY, kpis=("cost_per_contact",))) == {
        "contacts", "costs",
    }  # fmt: skip
    with CaptureQueriesContext(connection) as contacts_only:
        [row] = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, granularity="interval",
                                                  kpis=("offered",)))[:1]  # fmt: skip
    assert _tables(contacts_only.captured_queries) == {"kpis_contactinterval"}
    assert "staffed_seconds" not in row["components"]
    with CaptureQueriesContext(connection) as states_only:
        kpi_series(manager, SeriesRequest(start=DAY, end=DAY, granularity="interval",
                                          kpis=("occupancy",)))  # fmt: skip
    assert _tables(states_only.captured_queries) == {"kpis_stateinterval"}
    # Hours without agents come from the hour table, whose rows follow the queues, not
    # the contacts; an agent's hours from the 15-minute one.
    for user, table in ((manager, "kpis_contacthour"), (None, "kpis_contactinterval")):
        with CaptureQueriesContext(connection) as hours:
            rows = kpi_series(user, SeriesRequest(start=DAY, end=DAY, granularity="hour",
                                                  kpis=("offered",),
                                                  agents=() if user else ("a1",)))  # fmt: skip
        assert _tables(hours.captured_queries) == {table}
        assert sum(row["components"]["offered"] for row in rows) == 18


@pytest.mark.parametrize("granularity, end", [("day", DAY + timedelta(days=2)), ("hour", DAY)])
def test_a_total_from_its_rows_is_the_total_read_whole(manager, supervisor_a, floor, granularity,
                                                      end):  # fmt: skip
    for user in (manager, supervisor_a):
        request = SeriesRequest(start=DAY, end=end, granularity=granularity)
        rows = kpi_series(user, request)
        [whole] = kpi_series(user, SeriesRequest(start=DAY, end=end))
        summed = total_of(user, request, rows)
        assert summed["kpis"] == pytest.approx(whole["kpis"])
        assert summed["components"] == pytest.approx(whole["components"])
        # 18 contacts a day (minutes 0, 7, ..., 119), all answered and handled, Team A's.
        days = (end - DAY).days + 1
        assert len(rows) == (days if granularity == "day" else 24)  # every hour of the day
        assert (whole["components"]["offered"], whole["components"]["handled"]) == (
            18 * days, 18 * days,
        )  # fmt: skip
    assert whole["kpis"]["cost_per_contact"] is None  # a supervisor sees no center cost


def test_overview_tiles_are_their_sparklines_sums(client, manager, floor):
    client.force_login(manager)
    params = {"period": "custom", "start": DAY, "end": DAY + timedelta(days=2)}
    tiles = {t["kpi"].key: t["value"] for t in client.get(reverse("overview"), params)
             .context["data"]["tiles"]}  # fmt: skip
    [whole] = kpi_series(manager, SeriesRequest(start=DAY, end=DAY + timedelta(days=2)))
    assert tiles == pytest.approx(whole["kpis"])
    # 900 spent over three days of 18 handled contacts each.
    assert tiles["offered"] == 54
    assert tiles["cost_per_contact"] == pytest.approx(900 / 54)


def test_the_team_page_reads_agents_by_channel_from_the_day_table(client, manager, floor, team_a):
    """The per-agent speed of answer over voice and chat comes from AgentDay's channel rows
    (a day table), never the 15-minute one, and equals the 15-minute table's figure."""
    request = SeriesRequest(start=DAY, end=DAY + timedelta(days=2), teams=(team_a.name,),
                            channels=("voice", "chat"), group_by="agent", kpis=("asa", "occupancy"))  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        [row] = kpi_series(None, request)
    assert _tables(queries) == {"kpis_agentday"}
    [by_interval] = kpi_series(None, replace(request, until=datetime(2026, 3, 5, tzinfo=UTC)))
    assert (
        row["kpis"]["asa"] == pytest.approx(by_interval["kpis"]["asa"]) and row["kpis"]["asa"] > 0
    )
    assert row["kpis"]["occupancy"] == pytest.approx(by_interval["kpis"]["occupancy"])
    client.force_login(manager)
    with CaptureQueriesContext(connection) as page:
        response = client.get(
            reverse("team-detail", args=[team_a.pk])
            + f"?period=custom&start={DAY}&end={DAY + timedelta(days=2)}"
        )
    assert response.status_code == 200
    assert "kpis_contactinterval" not in _tables(page)
