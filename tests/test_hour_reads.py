"""Reads whose size follows the period and the queues (issue 20): the overview's heatmap
and hourly series read the local day x hour table (ContactHour), with the numbers the
15-minute table gives, across daylight-saving changes too; a page over weeks reads no
15-minute table but for its one intraday day."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.localtime import local_midnight
from interactions.models import Interaction
from kpis import rollup
from kpis.dashboards import Filters, heatmap
from kpis.models import ContactInterval
from kpis.selectors import SeriesRequest, kpi_series, scope_series, total_of
from tests.factories import AgentFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# Europe/Berlin skips 02:00-03:00 on 29 March 2026 and repeats 02:00-03:00 on 25 October.
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)


@pytest.fixture
def berlin(settings, team_a, team_b):
    """Contacts every 25 minutes over the three days around each change, on two queues
    (Billing answered by Team A, Sales by Team B, some abandoned), rolled up."""
    settings.TIME_ZONE = "Europe/Berlin"
    billing, sales = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    team_a.queues.add(billing)
    team_b.queues.add(sales)
    agents = {billing: AgentFactory(team=team_a, login="a1"),
              sales: AgentFactory(team=team_b, login="b1")}  # fmt: skip
    days = []
    for change in (SPRING, AUTUMN):
        # Stepped in UTC: a fall-back's 02:00-03:00 both times.
        at, n = local_midnight(change - timedelta(days=1)).astimezone(UTC), 0
        while at < local_midnight(change + timedelta(days=2)):
            queue = billing if n % 3 else sales
            answered = n % 7 != 0
            agent = agents[queue] if answered else None
            InteractionFactory(queue=queue, agent=agent, team=agent.team if agent else None,
                               channel="chat" if n % 5 == 0 else "voice", arrived_at=at,
                               answered_at=at + timedelta(seconds=n % 50) if answered else None,
                               ended_at=at + timedelta(seconds=200))  # fmt: skip
            at, n = at + timedelta(minutes=25), n + 1
        days += [change + timedelta(days=offset) for offset in (-1, 0, 1)]
    rollup.roll_up_days(days)
    return {"billing": billing, "sales": sales}


def _interval_heatmap(start: date, end: date, **filters) -> list[list[int]]:
    """The heatmap as the overview computed it before the hour table: weekday and hour of
    each 15-minute interval in local time."""
    counts = [[0] * 24 for _ in range(7)]
    rows = (
        ContactInterval.objects.filter(
            interval_start__gte=local_midnight(start),
            interval_start__lt=local_midnight(end + timedelta(days=1)),
            **filters,
        )
        .annotate(
            weekday=ExtractIsoWeekDay("interval_start", tzinfo=BERLIN),
            hour=ExtractHour("interval_start", tzinfo=BERLIN),
        )  # fmt: skip
        .values("weekday", "hour")
        .annotate(offered=Sum("offered"))
        .order_by()
    )
    for row in rows:
        counts[row["weekday"] - 1][row["hour"]] += row["offered"]
    return counts


@pytest.mark.parametrize("change", [SPRING, AUTUMN])
def test_the_heatmap_has_the_numbers_of_the_15_minute_table_across_a_dst_change(
    manager, supervisor_a, berlin, change
):
    start, end = change - timedelta(days=1), change + timedelta(days=1)
    filters = Filters(period="custom", start=start, end=end)
    with CaptureQueriesContext(connection) as queries:
        [trace] = heatmap(manager, filters)["data"]
    [read] = [query["sql"] for query in queries.captured_queries if "kpis_" in query["sql"]]
    assert "kpis_contacthour" in read
    assert trace["z"] == _interval_heatmap(start, end)
    # Against the contacts themselves: every one of the three days, each in its hour.
    arrived = Interaction.objects.filter(arrived_at__gte=local_midnight(start),
                                         arrived_at__lt=local_midnight(end + timedelta(days=1)))  # fmt: skip
    assert sum(map(sum, trace["z"])) == arrived.count() > 150
    sunday = trace["z"][6]  # both changes fall on a Sunday
    sunday_contacts = arrived.filter(arrived_at__gte=local_midnight(change),
                                     arrived_at__lt=local_midnight(end))  # fmt: skip
    assert sum(sunday) == sunday_contacts.count()
    if change == SPRING:
        assert sunday[2] == 0  # 02:00-03:00 never happened
    else:  # 02:00-03:00 twice: 00:00-02:00 UTC
        twice = sunday_contacts.filter(arrived_at__gte=datetime(2026, 10, 25, 0, tzinfo=UTC),
                                       arrived_at__lt=datetime(2026, 10, 25, 2, tzinfo=UTC))  # fmt: skip
        assert sunday[2] == twice.count() == 5
    # A supervisor's heatmap: the queues their team serves, as before.
    [mine] = heatmap(supervisor_a, filters)["data"]
    assert mine["z"] == _interval_heatmap(start, end, queue=berlin["billing"])
    # A queue filter and a channel filter read the hour table's own columns.
    only_chat = Filters(period="custom", start=start, end=end, channels=("chat",))
    assert heatmap(manager, only_chat)["data"][0]["z"] == _interval_heatmap(
        start, end, channel="chat"
    )


@pytest.mark.parametrize("change", [SPRING, AUTUMN])
def test_an_hourly_series_from_the_hour_table_sums_to_the_day(manager, supervisor_a, berlin,
                                                              change):  # fmt: skip
    for user in (manager, supervisor_a):
        request = SeriesRequest(start=change, end=change, granularity="hour")
        with CaptureQueriesContext(connection) as queries:
            rows = scope_series(user, request)
        sql = " ".join(query["sql"] for query in queries.captured_queries)
        assert "kpis_contacthour" in sql and "kpis_contactinterval" not in sql
        [whole] = scope_series(user, SeriesRequest(start=change, end=change))
        summed = total_of(user, request, rows)
        for name in ("offered", "answered", "answered_in_sl", "abandoned", "handled"):
            assert summed["components"][name] == whole["components"][name], (user, name)
        # Each hour holds what its 15-minute intervals hold.
        quarters = kpi_series(user, SeriesRequest(start=change, end=change,
                                                  granularity="interval", kpis=("offered",)))  # fmt: skip
        # The fall-back's two 02:15 are two intervals, each with its own contacts.
        assert len(quarters) == (92 if change == SPRING else 100)
        assert sum(row["components"]["offered"] for row in quarters) == whole["components"][
            "offered"
        ]  # fmt: skip
        by_hour = {}
        for row in quarters:
            start = row["period_start"].replace(minute=0, fold=0)
            by_hour[start] = by_hour.get(start, 0) + row["components"]["offered"]
        hours = {row["period_start"]: row["components"]["offered"] for row in kpi_series(
            user, SeriesRequest(start=change, end=change, granularity="hour", kpis=("offered",)))}  # fmt: skip
        assert hours == by_hour
    # A day of 23 or 25 hours is 23 or 24 local hours: a repeated hour is one row.
    assert len(rows) == (23 if change == SPRING else 24)


def test_a_page_over_weeks_reads_no_15_minute_table_but_its_intraday_day(client, manager,
                                                                        berlin):  # fmt: skip
    client.force_login(manager)
    params = {"period": "custom", "start": SPRING - timedelta(days=20), "end": SPRING}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("overview"), params)
    assert response.status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    # Only the intraday chart of the period's last day reads 15-minute rows.
    assert len([query for query in sql if "kpis_contactinterval" in query]) == 1
    assert not [query for query in sql if "kpis_stateinterval" in query]
    assert len([query for query in sql if "kpis_contacthour" in query]) == 1  # the heatmap
    assert response.context["data"]["intraday"]["data"][0]["x"][0].startswith(str(SPRING))
