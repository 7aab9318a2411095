"""The full rebuild (kpis.rollup.rebuild) gives roll_up_days' rows, and a rebuild stopped
halfway leaves the rollups as they were."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from agents.models import AgentStateEvent
from kpis import rollup
from kpis.models import ContactDay, ContactInterval
from kpis.rollup import rebuild
from tests.factories import (
    AgentFactory,
    InteractionFactory,
    QueueFactory,
    ShiftActivityFactory,
    ShiftFactory,
    TeamFactory,
)
from tests.rollups import snapshot

TABLES = rebuild.TABLES
FIRST = date(2026, 3, 27)  # through Europe/Paris' spring change (29 March)
DAYS = [FIRST + timedelta(days=n) for n in range(5)]
NOW = datetime(2026, 4, 2, tzinfo=UTC)


@pytest.fixture
def history(settings):
    """Five days of contacts (two queues, agents of two teams, repeat customers, some
    unanswered), agent states across midnights and shifts with activities."""
    settings.TIME_ZONE = "Europe/Paris"
    teams = [TeamFactory(name="T1"), TeamFactory(name="T2")]
    agents = [AgentFactory(login=f"a{n}", team=teams[n % 2]) for n in range(3)]
    queues = [QueueFactory(name="Billing"), QueueFactory(name="Sales")]
    start = datetime(2026, 3, 26, 22, tzinfo=UTC)
    for n in range(120):
        at = start + timedelta(minutes=53 * n)
        agent = agents[n % 3] if n % 5 else None
        InteractionFactory(
            queue=queues[n % 2], agent=agent, team=agent and agent.team, arrived_at=at,
            answered_at=at + timedelta(seconds=n % 40) if agent else None,
            ended_at=at + timedelta(seconds=n % 40 + 200), customer=f"c{n % 7}",
            resolved=None if n % 4 else False, csat=1 + n % 5 if n % 3 == 0 else None,
        )  # fmt: skip
    for n in range(40):
        agent = agents[n % 3]
        AgentStateEvent.objects.create(
            agent=agent, team=agent.team, at=start + timedelta(hours=3 * n, minutes=7 * n),
            state=("available", "on_contact", "break", "offline")[n % 4],
        )  # fmt: skip
    for day in DAYS[:4]:
        shift = ShiftFactory(agent=agents[0], team=agents[0].team,
                             start=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=7),
                             end=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=15))  # fmt: skip
        ShiftActivityFactory(shift=shift, kind="work")
        ShiftActivityFactory(shift=shift, kind="break", start=shift.start + timedelta(hours=2),
                             end=shift.start + timedelta(hours=2, minutes=15))  # fmt: skip
    return agents


def _indexes():
    """The rollup tables' indexes and whether they are logged (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relpersistence, i.indexname, i.indexdef FROM pg_class c "
            "JOIN pg_indexes i ON i.tablename = c.relname AND i.schemaname = current_schema() "
            "WHERE c.relname = ANY(%s) AND c.relnamespace = current_schema()::regnamespace",
            [[model._meta.db_table for model in TABLES]],
        )
        return sorted(cursor.fetchall())


def _rebuild_schema_exists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [rebuild.SCHEMA])
        return cursor.fetchone()[0] == 1


@pytest.mark.django_db
def test_the_rebuild_gives_roll_up_days_rows_row_for_row(history):
    postgres = connection.vendor == "postgresql"
    indexes = _indexes() if postgres else None
    rollup.roll_up_days(DAYS, now=NOW)
    rolled = snapshot()
    assert len(rolled["ContactInterval"]) > 100 and all(rolled.values())
    ContactDay.objects.create(day=FIRST - timedelta(days=9), channel="voice")  # left over
    done = []
    assert rebuild.rebuild(DAYS[0], DAYS[-1], now=NOW, done=done.append) == len(DAYS)
    assert snapshot() == rolled
    assert done == list(rebuild.phases(DAYS[0], DAYS[-1]))
    if postgres:
        # The same indexes under the same names, logged, and nothing left beside them.
        assert _indexes() == indexes and {row[1] for row in indexes} == {"p"}
        assert not _rebuild_schema_exists()
    # The rebuilt tables take the next roll as the old ones did (their ids go on).
    rollup.roll_up_days(DAYS[1:3], now=NOW)
    assert snapshot() == rolled


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_stopped_halfway_leaves_the_rollups_as_they_were(history):
    rollup.roll_up_days(DAYS, now=NOW)
    before = snapshot()
    stop_at = "day tables" if connection.vendor == "postgresql" else DAYS[2].isoformat()
    seen = {}

    def meanwhile():
        # Another connection, while the rebuild holds its work uncommitted: the old rows
        # are read without waiting, and an incremental run skips rather than interleave.
        try:
            seen["rows"] = ContactDay.objects.count()
            seen["incremental"] = rollup.roll_up_changes()
        finally:
            connection.close()

    def stop(phase):
        if phase == stop_at:
            if connection.vendor == "postgresql":
                reader = threading.Thread(target=meanwhile)
                reader.start()
                reader.join(timeout=30)
                assert not reader.is_alive()
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        rebuild.rebuild(DAYS[0], DAYS[-1], now=NOW, done=stop)
    assert snapshot() == before
    if connection.vendor == "postgresql":
        assert seen == {"rows": len(before["ContactDay"]), "incremental": 0}
        assert not _rebuild_schema_exists()


@pytest.mark.django_db(transaction=True)
def test_the_swap_waits_for_a_long_reader_and_gives_up_whole(history, monkeypatch):
    """A reader holding a rollup table makes the swap wait (per try), not queue every
    page behind a half-done swap; when it never lets go, the rebuild fails whole and the
    old rollups stay; once it is gone, the rebuild goes through."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer and no swap")
    from django.db import OperationalError, connections

    rollup.roll_up_days(DAYS, now=NOW)
    before = snapshot()
    monkeypatch.setattr(rebuild, "SWAP_LOCK_WAIT", "50ms")
    monkeypatch.setattr(rebuild, "SWAP_LOCK_TRIES", 3)
    holding, release, held = threading.Event(), threading.Event(), {}

    def long_reader():
        reader = connections.create_connection("default")
        try:
            with reader.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SELECT count(*) FROM kpis_agentday")
                held["rows"] = cursor.fetchone()[0]
                holding.set()
                release.wait(timeout=60)
                cursor.execute("COMMIT")
        finally:
            reader.close()

    thread = threading.Thread(target=long_reader)
    thread.start()
    assert holding.wait(timeout=30)
    with pytest.raises(OperationalError):
        rebuild.rebuild(DAYS[0], DAYS[-1], now=NOW)
    assert snapshot() == before and not _rebuild_schema_exists()
    release.set()
    thread.join(timeout=30)
    assert held["rows"] == len(before["AgentDay"])
    rebuild.rebuild(DAYS[0], DAYS[-1], now=NOW)
    assert snapshot() == before


@pytest.mark.django_db
def test_rollup_kpis_all_rebuilds_every_day_and_a_shorter_range_rolls_its_days(history):
    # Every day with data: the first contacts' evening to the last state's night.
    rollup.roll_up_days(FIRST + timedelta(days=n) for n in range(-1, 6))
    rolled = snapshot()
    for model in TABLES:
        model.objects.all().delete()
    call_command("rollup_kpis", "--all")
    assert snapshot() == rolled
    # A range inside the stored days rolls those days and keeps the others.
    ContactDay.objects.filter(day=DAYS[1]).delete()
    ContactInterval.objects.all().update(offered=0)
    call_command("rollup_kpis", "--start", str(DAYS[1]), "--end", str(DAYS[2]))
    after = snapshot()
    assert after["ContactDay"] == rolled["ContactDay"]
    assert after["ContactInterval"] != rolled["ContactInterval"]  # other days left alone
    assert {row for row in after["ContactInterval"] if dict(row)["offered"]} == {
        row for row in rolled["ContactInterval"] if DAYS[1] <= _local_day(row) <= DAYS[2]
    }


def _local_day(row):
    from django.utils import timezone

    return timezone.localdate(dict(row)["interval_start"])
