"""A hot customer (one withheld caller id on thousands of contacts): the change detection
looks back only at each changed contact's previous contact inside the repeat window, the
FCR numbers stay exactly right, and the minute's rollup has a time limit (issue 15, 2)."""

import json
import logging
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from interactions import services as ingest
from interactions.models import Direction, Interaction
from kpis import rollup, tasks
from kpis.models import RollupState
from kpis.rollup import run
from kpis.rollup.changes import CONTACTS, Source, contact_changed_days
from tests.factories import AgentFactory, QueueFactory, TeamFactory
from tests.test_kpi_incremental import TABLES, snapshot

START = datetime(2026, 3, 2, tzinfo=UTC)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
HOT = "withheld"


def contact(key, arrived, *, customer=HOT, direction="inbound", resolved=True, answered=True):
    return {
        "external_id": key, "channel": "voice", "queue": "Q", "agent": "a1",
        "customer": customer, "direction": direction, "resolved": resolved,
        "arrived_at": arrived.isoformat(),
        "answered_at": (arrived + timedelta(seconds=10)).isoformat() if answered else None,
        "ended_at": (arrived + timedelta(seconds=200)).isoformat(), "talk_seconds": 190,
    }  # fmt: skip


def stored_long_ago():
    """Everything stored so far was rolled long ago: only what follows is a change."""
    Interaction.objects.update(updated_at=LONG_AGO)
    rollup.roll_up_days(START.date() + timedelta(days=n) for n in range(-1, 14))
    rollup.record_fill_states(LONG_AGO + timedelta(hours=1))


def assert_incremental_equals_rebuild():
    incremental = snapshot()
    for model in TABLES:
        model.objects.all().delete()
    rollup.roll_up_days(START.date() + timedelta(days=n) for n in range(-1, 14))
    assert snapshot() == incremental


def changed_since_long_ago():
    return contact_changed_days(LONG_AGO + timedelta(hours=1), datetime.now(UTC))


@pytest.fixture
def agent():
    return AgentFactory(login="a1", team=TeamFactory(name="T"))


@pytest.mark.django_db
def test_only_the_previous_contact_inside_the_window_is_looked_back_at(agent):
    # Six days of a hot customer, one contact every three hours.
    ingest.ingest_contacts(
        [contact(f"h{n}", START + timedelta(hours=3 * n)) for n in range(48)], default_source="p"
    )
    stored_long_ago()
    # A new contact on day 9 (2026-03-11 10:00): the customer's last one before it is
    # day 5's last (2026-03-07 21:00), the only one whose FCR it turns; the others of
    # days 0-5 already have a repeat of their own.
    new = START + timedelta(days=9, hours=10)
    ingest.ingest_contacts([contact("new", new)], default_source="p")
    assert changed_since_long_ago() == {new.date(), START.date() + timedelta(days=5)}
    rollup.roll_up_changes()
    assert_incremental_equals_rebuild()


@pytest.mark.django_db
def test_nothing_before_the_window_and_no_previous_contact_add_no_day(agent):
    ingest.ingest_contacts([contact("old", START)], default_source="p")
    stored_long_ago()
    late = START + timedelta(days=7, seconds=1)  # one second after the window
    other = START + timedelta(days=3)  # another customer's first contact
    ingest.ingest_contacts(
        [contact("late", late), contact("other", other, customer="c9")], default_source="p"
    )
    assert changed_since_long_ago() == {late.date(), other.date()}
    exactly = START + timedelta(days=7)  # exactly the window later: a repeat
    ingest.ingest_contacts([contact("exact", exactly)], default_source="p")
    assert START.date() in changed_since_long_ago()


@pytest.mark.django_db
def test_incremental_equals_a_full_rebuild_with_a_frequent_customer(agent):
    """Random rounds of new and changed contacts of one frequent customer (and a few
    others), each rolled incrementally: the same rows as a full rebuild, FCR included."""
    rng = random.Random(15)
    arrivals = {}

    def some(count):
        records = []
        for _ in range(count):
            key = f"k{rng.randrange(120)}"
            # A key's arrival never moves between days (that is left to the nightly run).
            arrived = arrivals.setdefault(
                key, START + timedelta(minutes=rng.randrange(10 * 24 * 60))
            )
            records.append(
                contact(
                    key, arrived,
                    customer=rng.choice([HOT, HOT, HOT, "c1", ""]),
                    direction=rng.choice(["inbound"] * 5 + ["outbound"]),
                    resolved=rng.choice([True, True, None, False]),
                    answered=rng.random() < 0.8,
                )
            )  # fmt: skip
        return records

    ingest.ingest_contacts(some(80), default_source="p")
    stored_long_ago()
    for _ in range(6):
        ingest.ingest_contacts(some(6), default_source="p")
        rollup.roll_up_changes()
    assert Interaction.objects.filter(customer=HOT).count() > 40
    assert_incremental_equals_rebuild()


@pytest.mark.django_db
def test_a_repeat_still_turns_the_previous_contacts_fcr(agent):
    ingest.ingest_contacts(
        [contact(f"h{n}", START + timedelta(days=n)) for n in range(3)], default_source="p"
    )
    stored_long_ago()
    from kpis.models import ContactDay

    def fcr(day):
        row = ContactDay.objects.get(day=START.date() + timedelta(days=day))
        return row.fcr_resolved, row.fcr_eligible

    assert [fcr(n) for n in range(3)] == [(0, 1), (0, 1), (1, 1)]
    ingest.ingest_contacts([contact("h3", START + timedelta(days=3))], default_source="p")
    rollup.roll_up_changes()
    assert fcr(2) == (0, 1)  # turned into a repeat by the new contact
    ingest.ingest_contacts(
        [contact("h3", START + timedelta(days=3), direction="outbound")], default_source="p"
    )
    rollup.roll_up_changes()
    assert fcr(2) == (1, 1)  # the contact that repeated it is outbound now: resolved again


@pytest.mark.django_db
def test_the_detection_is_two_bounded_queries_whatever_the_customers_history(agent):
    queue = QueueFactory(name="Q")
    Interaction.objects.bulk_create(
        Interaction(
            source="p", external_id=f"h{n}", channel="voice", queue=queue, customer=HOT,
            arrived_at=START + timedelta(minutes=5 * n), direction=Direction.INBOUND,
        )
        for n in range(2000)
    )  # fmt: skip
    stored_long_ago()
    new = START + timedelta(days=7, hours=1)  # after the last one (6 d 22 h 35 min)
    ingest.ingest_contacts([contact("new", new)], default_source="p")
    with CaptureQueriesContext(connection) as queries:
        days = changed_since_long_ago()
    last = START + timedelta(minutes=5 * 1999)
    assert days == {new.date(), last.date()}
    assert len(queries) == 2
    look_back = queries[1]["sql"]
    # One correlated probe per changed contact: the customer's latest arrival before it.
    assert re.search(r'ORDER BY (1|U0\."arrived_at") DESC LIMIT 1\)', look_back)
    if connection.vendor != "postgresql":
        return
    # Rows read from the contacts table: the changed contact and one index probe, not the
    # customer's 2,000 contacts.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE interactions_interaction")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {look_back}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    read = 0

    def walk(node):
        nonlocal read
        if node.get("Relation Name") == "interactions_interaction":
            loops = node.get("Actual Loops", 1)
            read += (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * loops
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    assert 0 < read <= 10


# Time limit ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rollup_stopped_by_its_soft_time_limit_says_which_days_and_keeps_its_watermark(
    agent, monkeypatch, caplog
):
    ingest.ingest_contacts([contact("a", START)], default_source="p")
    stored_long_ago()
    ingest.ingest_contacts([contact("b", START + timedelta(days=1))], default_source="p")
    before = RollupState.objects.get(pk=1).contacts_rolled_to

    def too_long(days, now=None):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(run, "_roll_up", too_long)
    with (
        caplog.at_level(logging.ERROR, logger="kpis.rollup.run"),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        tasks.roll_up_since_watermark()
    assert RollupState.objects.get(pk=1).contacts_rolled_to == before
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "time limit (soft time limit)" in message
    assert "2026-03-02, 2026-03-03" in message  # b's day and a's, the previous contact


def test_the_beat_task_has_time_limits(settings):
    assert tasks.roll_up_since_watermark.soft_time_limit == settings.KPI_ROLLUP_SOFT_TIME_LIMIT
    assert tasks.roll_up_since_watermark.time_limit == settings.KPI_ROLLUP_TIME_LIMIT
    assert settings.KPI_ROLLUP_SOFT_TIME_LIMIT < settings.KPI_ROLLUP_TIME_LIMIT


@pytest.mark.django_db
def test_a_runaway_statement_is_cancelled_and_the_watermark_stays(agent, settings, caplog):
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    ingest.ingest_contacts([contact("a", START)], default_source="p")
    stored_long_ago()
    before = RollupState.objects.get(pk=1).contacts_rolled_to
    settings.KPI_ROLLUP_STATEMENT_TIMEOUT_SECONDS = 0.05

    def runaway(since, until):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
        return set()

    slow = Source("slow", "schedules_rolled_to", runaway)
    with (
        caplog.at_level(logging.ERROR, logger="kpis.rollup.run"),
        pytest.raises(OperationalError),
        transaction.atomic(),
    ):
        rollup.roll_up_changes((CONTACTS, slow))
    assert RollupState.objects.get(pk=1).contacts_rolled_to == before
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "time limit (statement_timeout)" in message
    assert "finding the changed days" in message
