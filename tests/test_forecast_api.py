"""GET /api/v1/forecasts/: every local interval (zeros included), 15/30/60 minutes by
local clock time across DST changes, scoping, bad input, paging and queue groups."""

from datetime import UTC, date, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from core.localtime import local_days
from forecasting.models import Forecast, QueueGroup
from forecasting.selectors import interval_rows
from interactions.models import Queue

pytestmark = pytest.mark.django_db

STEP = timedelta(minutes=15)
KEYS = {"start", "queue", "contacts", "aht_seconds", "method", "special"}


@pytest.fixture
def new_york(settings):
    settings.TIME_ZONE = "America/New_York"


def moments(day: date, days: int = 1):
    """The UTC start of every 15-minute interval of `days` local days from `day`."""
    begin, end = (bound.astimezone(UTC) for bound in local_days(day, days))
    while begin < end:
        yield begin
        begin += STEP


def store(queue, day, days=1, contacts=None, aht=None, method="holt_winters", special=None):
    """A forecast for every interval of the local days: contacts(k) and aht(k) of the
    interval's index k (defaults: 10 + k / 7 contacts, 200 + k seconds)."""
    contacts = contacts or (lambda k: 10 + k / 7)
    aht = aht or (lambda k: 200.0 + k)
    Forecast.objects.bulk_create(
        Forecast(
            queue=queue,
            start=start,
            contacts=contacts(k),
            aht_seconds=aht(k),
            method=method,
            special=special,
        )
        for k, start in enumerate(moments(day, days))
    )


def get(user, query):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.get(f"/api/v1/forecasts/?{query}")


def rows(user, query):
    response = get(user, query)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None
    return body["results"]


@pytest.fixture
def sales(db):
    return Queue.objects.create(name="Sales", channel="voice")


def test_every_interval_of_the_range_in_time_order_with_the_specs_shape(new_york, manager, sales):
    store(sales, date(2026, 3, 9), contacts=lambda k: 41.7 if k == 40 else 3.0,
          aht=lambda k: 251.3 if k == 40 else 180.0)  # fmt: skip
    results = rows(manager, "queue=Sales&start=2026-03-09&end=2026-03-10")
    assert len(results) == 192
    assert all(set(row) == KEYS for row in results)
    assert results[40] == {
        "start": "2026-03-09T10:00:00-04:00",
        "queue": "Sales",
        "contacts": 41.7,
        "aht_seconds": 251.3,
        "method": "holt_winters",
        "special": None,
    }
    starts = [datetime.fromisoformat(row["start"]) for row in results]
    assert starts == sorted(starts) and len(set(starts)) == 192
    assert starts[0].isoformat() == "2026-03-09T00:00:00-04:00"
    assert starts[-1].isoformat() == "2026-03-10T23:45:00-04:00"
    # The second day has no stored forecast: every interval is there, at zero.
    assert {(r["contacts"], r["aht_seconds"], r["method"]) for r in results[96:]} == {
        (0, None, None)
    }


def test_closed_hours_answer_zero_contacts_and_no_aht(manager, sales):
    store(
        sales,
        date(2026, 3, 9),
        contacts=lambda k: 0.0,
        aht=lambda k: None,
        method="seasonal_naive",
        special="Closed: strike",
    )
    results = rows(manager, "queue=Sales&start=2026-03-09&end=2026-03-09&interval=60")
    assert len(results) == 24
    assert {(r["contacts"], r["aht_seconds"], r["method"], r["special"]) for r in results} == {
        (0, None, "seasonal_naive", "Closed: strike")
    }


def test_floats_are_not_rounded(manager, sales):
    store(sales, date(2026, 3, 9), contacts=lambda k: 1 / 3, aht=lambda k: 200 / 3)
    [first, *_] = rows(manager, "queue=Sales&start=2026-03-09&end=2026-03-09")
    assert first["contacts"] == 1 / 3 and first["aht_seconds"] == 200 / 3


@pytest.mark.parametrize("minutes", [30, 60])
def test_longer_intervals_sum_contacts_and_weight_aht_by_contacts(manager, sales, minutes):
    store(sales, date(2026, 3, 9), days=2)
    fine = rows(manager, "queue=Sales&start=2026-03-09&end=2026-03-10")
    coarse = rows(manager, f"queue=Sales&start=2026-03-09&end=2026-03-10&interval={minutes}")
    per = minutes // 15
    assert len(coarse) == len(fine) // per == 2 * 24 * 60 // minutes
    assert sum(r["contacts"] for r in coarse) == pytest.approx(sum(r["contacts"] for r in fine))
    for index, row in enumerate(coarse):
        members = fine[index * per : (index + 1) * per]
        assert row["start"] == members[0]["start"]
        assert row["contacts"] == pytest.approx(sum(m["contacts"] for m in members))
        expected = sum(m["contacts"] * m["aht_seconds"] for m in members) / row["contacts"]
        assert row["aht_seconds"] == pytest.approx(expected)
        assert row["method"] == "holt_winters"
    second = {30: "2026-03-09T00:30:00+00:00", 60: "2026-03-09T01:00:00+00:00"}[minutes]
    assert coarse[1]["start"] == second


def test_a_fall_back_day_has_100_intervals_and_two_one_oclock_hours(new_york, manager, sales):
    store(sales, date(2026, 11, 1), contacts=lambda k: float(k))
    fine = rows(manager, "queue=Sales&start=2026-11-01&end=2026-11-01")
    assert len(fine) == 100
    assert [r["start"] for r in fine[4:12]] == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:15:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:45:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T01:15:00-05:00",
        "2026-11-01T01:30:00-05:00",
        "2026-11-01T01:45:00-05:00",
    ]
    hours = rows(manager, "queue=Sales&start=2026-11-01&end=2026-11-01&interval=60")
    assert len(hours) == 25
    assert [r["start"] for r in hours[1:4]] == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
    ]
    assert [r["contacts"] for r in hours[1:3]] == [4 + 5 + 6 + 7, 8 + 9 + 10 + 11]
    assert sum(r["contacts"] for r in hours) == sum(range(100))
    # The 10:00 interval is still 10:00 local, now at the winter offset.
    [ten] = [r for r in hours if r["start"].startswith("2026-11-01T10:00")]
    assert ten["start"] == "2026-11-01T10:00:00-05:00"
    assert len(rows(manager, "queue=Sales&start=2026-11-01&end=2026-11-01&interval=30")) == 50


def test_a_spring_forward_day_has_92_intervals_and_no_two_oclock(new_york, manager, sales):
    store(sales, date(2026, 3, 8), contacts=lambda k: float(k))
    for minutes, count in ((15, 92), (30, 46), (60, 23)):
        results = rows(manager, f"queue=Sales&start=2026-03-08&end=2026-03-08&interval={minutes}")
        assert len(results) == count
        assert not [r for r in results if "T02:" in r["start"]]
        assert sum(r["contacts"] for r in results) == sum(range(92))
    hours = rows(manager, "queue=Sales&start=2026-03-08&end=2026-03-08&interval=60")
    assert [r["start"] for r in hours[1:3]] == [
        "2026-03-08T01:00:00-05:00",
        "2026-03-08T03:00:00-04:00",
    ]
    assert hours[9]["start"] == "2026-03-08T10:00:00-04:00"


def test_a_range_across_both_changes_keeps_10_oclock_at_10(new_york, manager, sales):
    hours = rows(manager, "queue=Sales&start=2026-03-07&end=2026-03-09&interval=60")
    assert [r["start"] for r in hours if "T10:" in r["start"]] == [
        "2026-03-07T10:00:00-05:00",
        "2026-03-08T10:00:00-04:00",
        "2026-03-09T10:00:00-04:00",
    ]


@pytest.fixture
def served(team_a, team_b, sales):
    """Sales is served by team A, Support by team B."""
    support = Queue.objects.create(name="Support", channel="chat")
    team_a.queues.add(sales)
    team_b.queues.add(support)
    store(sales, date(2026, 3, 9))
    store(support, date(2026, 3, 9), contacts=lambda k: 5.0, aht=lambda k: 100.0)
    return sales, support


def test_a_supervisor_sees_their_teams_queues_only(supervisor_a, served):
    results = rows(supervisor_a, "queue=Sales&start=2026-03-09&end=2026-03-09")
    assert len(results) == 96 and results[0]["contacts"] == 10
    response = get(supervisor_a, "queue=Support&start=2026-03-09&end=2026-03-09")
    assert response.status_code == 404
    assert get(supervisor_a, "queue=Nowhere&start=2026-03-09&end=2026-03-09").status_code == 404


def test_agents_and_anonymous_callers_read_no_forecast(agent_a, served):
    assert get(agent_a.user, "queue=Sales&start=2026-03-09&end=2026-03-09").status_code in (
        403,
        404,
    )
    assert get(None, "queue=Sales&start=2026-03-09&end=2026-03-09").status_code in (401, 403)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-03-09&end=2026-03-09", "queue"),
        ("queue=Sales&end=2026-03-09", "start"),
        ("queue=Sales&start=2026-03-09", "end"),
        ("queue=Sales&start=2026-13-01&end=2026-03-09", "start"),
        ("queue=Sales&start=2026-03-09&end=tomorrow", "end"),
        ("queue=Sales&start=2026-03-09&end=2026-03-08", "end"),
        ("queue=Sales&start=2026-01-01&end=2026-04-03", "end"),
        ("queue=Sales&start=2026-03-09&end=2026-03-09&interval=20", "interval"),
        ("queue=Sales&start=2026-03-09&end=2026-03-09&interval=abc", "interval"),
        ("queue=Sales&group=Care&start=2026-03-09&end=2026-03-09", "group"),
        ("queue=Sales&queue=Support&start=2026-03-09&end=2026-03-09", "queue"),
    ],
)
def test_bad_input_answers_400_naming_the_field(manager, sales, query, field):
    response = get(manager, query)
    assert response.status_code == 400
    assert field in response.json()


def test_92_days_are_allowed(manager, sales):
    results = rows(
        manager, "queue=Sales&start=2026-01-01&end=2026-04-02&interval=60&page_size=5000"
    )
    assert len(results) == 92 * 24


def test_a_long_answer_is_paged_with_next(manager, sales):
    store(sales, date(2026, 3, 9), days=3)
    whole = rows(manager, "queue=Sales&start=2026-03-09&end=2026-03-11")
    client = APIClient()
    client.force_authenticate(manager)
    url, pages = "/api/v1/forecasts/?queue=Sales&start=2026-03-09&end=2026-03-11&page_size=100", []
    while url:
        body = client.get(url).json()
        assert set(body) == {"results", "next"}
        pages.append(body["results"])
        url = body["next"]
    assert [len(page) for page in pages] == [100, 100, 88]
    assert [row for page in pages for row in page] == whole
    # A page is never smaller than a day of 15-minute intervals.
    body = client.get(
        "/api/v1/forecasts/?queue=Sales&start=2026-03-09&end=2026-03-11&page_size=10"
    ).json()
    assert len(body["results"]) == 96 and body["next"]


@pytest.fixture
def care(served):
    sales, support = served
    group = QueueGroup.objects.create(name="Care")
    group.queues.set([sales, support])
    return group


def test_a_group_sums_its_queues_and_weights_aht(manager, care):
    results = rows(manager, "group=Care&start=2026-03-09&end=2026-03-09")
    sales = rows(manager, "queue=Sales&start=2026-03-09&end=2026-03-09")
    assert len(results) == 96 and {r["queue"] for r in results} == {"Care"}
    for row, alone in zip(results, sales, strict=True):
        assert row["start"] == alone["start"]
        assert row["contacts"] == pytest.approx(alone["contacts"] + 5)
        expected = (alone["contacts"] * alone["aht_seconds"] + 5 * 100) / row["contacts"]
        assert row["aht_seconds"] == pytest.approx(expected)
        assert row["method"] == "holt_winters"
    hours = rows(manager, "group=Care&start=2026-03-09&end=2026-03-09&interval=60")
    assert sum(r["contacts"] for r in hours) == pytest.approx(sum(r["contacts"] for r in results))


def test_a_groups_method_is_null_when_its_queues_differ(manager, care):
    Forecast.objects.filter(queue__name="Support").update(method="seasonal_naive")
    results = rows(manager, "group=Care&start=2026-03-09&end=2026-03-10&interval=30")
    assert {r["method"] for r in results} == {None}


def test_a_group_is_visible_when_all_its_queues_are(supervisor_a, supervisor_b, team_b, care):
    assert get(supervisor_a, "group=Care&start=2026-03-09&end=2026-03-09").status_code == 404
    team_b.supervisors.add(supervisor_a)
    assert len(rows(supervisor_a, "group=Care&start=2026-03-09&end=2026-03-09")) == 96
    assert get(supervisor_a, "group=Other&start=2026-03-09&end=2026-03-09").status_code == 404


def test_the_selector_reads_the_stored_rows_in_one_query(manager, care, django_assert_num_queries):
    queues = list(care.queues.all())
    with django_assert_num_queries(1):
        rows_ = interval_rows(queues, date(2026, 3, 9), date(2026, 3, 15), 60, label="Care")
    assert len(rows_) == 7 * 24 and rows_[0]["queue"] == "Care"
    with django_assert_num_queries(1):
        interval_rows(queues[:1], date(2026, 3, 9), date(2026, 3, 15))
