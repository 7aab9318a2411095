"""KPI engine benchmark: what users wait for, at 100k and 1M contacts of history, with
agent states and schedules.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/contactcenter python bench/kpis.py

On its own database (<name>_bench, created and dropped here). Generated in SQL at a
fixed density: a year is 1M contacts (300 agents in 10 teams, 5 queues, repeat
customers, surveys), 78,300 weekday shifts with a break, lunch and a break, and 626,700
agent state events around them (logins, contacts, breaks, some late or off the
schedule: bench.schedules.generate); the 100k history is the same year's last five
weeks of all three, so between the sizes only the length of history changes. Timed as
users run them, each beside a reference measured in the same run:

- the full rebuild, `rollup_kpis --all`, beside the bare statements computing every
  table it fills (contact and state intervals, contact and agent days, contact hours):
  the rollup's own statements (kpis.rollup.statements, kpis.rollup.states) as `CREATE
  TABLE ... AS SELECT` over the whole range at once (logged, no indexes), each timed;
- the minute's beat task (kpis.tasks.roll_up_since_watermark, called as a function)
  after 1,000 new contacts and 1,000 state events on 19 December, then after one shift
  of that week moves an hour (scheduling.services.shift_move, as the page calls it),
  each beside the bare statements of the days it rolled;
- the overview and team pages (30 days), the KPI API (90 days by day and queue) and the
  live API, server time in-process (median of 5-7).

Markdown tables for docs/benchmarks.md are printed at the end with the bars.

`--hot-customer N` adds N contacts of one customer (a withheld caller id) spread over the
history and measures, beside the normal case, the change detection of their import and
the incremental run after 1,000 new contacts of which every tenth is that customer's.
"""

import argparse
import os
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import create_bench_database, drop_bench_database  # noqa: E402 (after the path above)

YEAR_START = date(2025, 1, 1)
YEAR_END = date(2025, 12, 31)
AGENTS, TEAMS, QUEUES = 300, 10, 5
# Contacts a year: the density of every size (100k is the year's last five weeks).
YEAR_CONTACTS = 1_000_000
# The incremental runs' day: a Friday near the end of the history (in the 100k weeks).
NEW_DAY = datetime(2025, 12, 19, tzinfo=UTC)
# Bars of issue 20.
REBUILD_BAR, INCREMENTAL_BAR, FLAT_BAR, PAGE_BAR = 1.5, 0.5, 1.3, 100


def people():
    from agents.models import Agent, Team
    from interactions.models import Queue

    teams = [Team.objects.create(name=f"Team {n}") for n in range(TEAMS)]
    queues = [Queue.objects.create(name=f"Queue {n}", channel="voice") for n in range(QUEUES)]
    agents = Agent.objects.bulk_create(
        Agent(login=f"a{n:03d}", team=teams[n % TEAMS]) for n in range(AGENTS)
    )
    return (
        [q.pk for q in queues],
        [a.pk for a in agents],
        [teams[n % TEAMS].pk for n in range(AGENTS)],
    )


def reset() -> None:
    """Empty the raw tables, the schedules, their history and every rollup table."""
    from django.db import connection

    from agents.models import AgentStateEvent
    from interactions.models import Interaction
    from kpis import models as kpis
    from scheduling.models import Shift, ShiftActivity

    models = (Interaction, AgentStateEvent, ShiftActivity, Shift, Shift.history.model,
              ShiftActivity.history.model, kpis.ContactInterval, kpis.StateInterval,
              kpis.ContactDay, kpis.AgentDay, kpis.ContactHour, kpis.RollupState,
              kpis.MarkedDay, kpis.RollupJob)  # fmt: skip
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def generate(first: int, count: int, total: int, ids) -> None:
    """Contacts `first` .. `first + count - 1` of `total` spread evenly over the year."""
    from django.db import connection

    queues, agents, agent_teams = ids
    step = 365 * 86400 / total
    sql = f"""
        INSERT INTO interactions_interaction (source, external_id, channel, direction,
            queue_id, agent_id, team_id, customer, arrived_at, answered_at, ended_at,
            talk_seconds, hold_seconds, wrap_seconds, transferred, resolved,
            callback_requested, topic, csat, nps, recording_url, transcript, created_at,
            updated_at)
        SELECT 'bench', 'b' || g, 'voice', 'inbound',
            (ARRAY{queues})[1 + g %% {QUEUES}],
            CASE WHEN g %% 10 <> 0 THEN (ARRAY{agents})[1 + g %% {AGENTS}] END,
            CASE WHEN g %% 10 <> 0 THEN (ARRAY{agent_teams})[1 + g %% {AGENTS}] END,
            'C' || (g::bigint * 7919 %% {max(total // 3, 1)}),
            t, CASE WHEN g %% 10 <> 0 THEN t + (g %% 40) * interval '1 second' END,
            t + (CASE WHEN g %% 10 <> 0 THEN g %% 40 + 200 + g %% 300 ELSE g %% 90 END) * interval '1 second',
            CASE WHEN g %% 10 <> 0 THEN 200 + g %% 300 ELSE 0 END, 0, 30, g %% 17 = 0,
            CASE WHEN g %% 7 = 0 THEN false WHEN g %% 11 = 0 THEN NULL ELSE true END,
            false, '', CASE WHEN g %% 4 = 0 THEN 1 + g %% 5 END,
            CASE WHEN g %% 5 = 0 THEN g %% 11 END, '', '', %s, %s
        FROM generate_series(%s, %s) g,
            LATERAL (SELECT %s::timestamptz + (g * %s) * interval '1 second' AS t) at_time
    """  # noqa: S608 (bench-only literals built from integers above)
    with connection.cursor() as cursor:
        stored = datetime(2026, 1, 1, tzinfo=UTC)  # long before the incremental run's watermark
        cursor.execute(
            sql, [stored, stored, first, first + count - 1, datetime(2025, 1, 1, tzinfo=UTC), step]
        )
        cursor.execute("ANALYZE interactions_interaction")


HOT = "withheld"


def hot_history(count: int, first: int, total: int, ids) -> None:
    """`count` inbound contacts of one customer spread over the history (contacts `first`
    .. `total` of generate's year), stamped after the fill state: an import to detect."""
    from django.db import connection

    queues, agents, agent_teams = ids
    step = 365 * 86400 / total
    span = (total - first) * step / count
    sql = f"""
        INSERT INTO interactions_interaction (source, external_id, channel, direction,
            queue_id, agent_id, team_id, customer, arrived_at, answered_at, ended_at,
            talk_seconds, hold_seconds, wrap_seconds, transferred, resolved,
            callback_requested, topic, recording_url, transcript, created_at, updated_at)
        SELECT 'bench-hot', 'h' || g, 'voice', 'inbound', (ARRAY{queues})[1 + g %% {QUEUES}],
            (ARRAY{agents})[1 + g %% {AGENTS}], (ARRAY{agent_teams})[1 + g %% {AGENTS}],
            %s, t, t + interval '10 seconds', t + interval '200 seconds', 190, 0, 30, false,
            true, false, '', '', '', clock_timestamp(), clock_timestamp()
        FROM generate_series(0, %s) g,
            LATERAL (SELECT %s::timestamptz + (g * %s) * interval '1 second' AS t) at_time
    """  # noqa: S608 (bench-only literals built from integers above)
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=first * step)
    with connection.cursor() as cursor:
        cursor.execute(sql, [HOT, count - 1, start, span])
        cursor.execute("ANALYZE interactions_interaction")


def generate_schedules(first: int, total: int) -> tuple[int, int]:
    """Shifts, activities and states (bench.schedules.generate) over the days of
    contacts `first` .. `total` of generate's year; returns shifts and state events."""
    from django.db import connection

    from agents.models import AgentStateEvent
    from bench import schedules

    window_start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=first * 365 * 86400 / total)
    first_day = datetime.combine(window_start.date(), datetime.min.time(), UTC)
    if first_day < window_start:
        first_day += timedelta(days=1)  # whole days only: no shift before the first contact
    shifts = schedules.generate(first_day, datetime.combine(YEAR_END, datetime.min.time(), UTC))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return shifts, AgentStateEvent.objects.count()


# Bare statements ------------------------------------------------------------------------


def rollup_models():
    """Every table the rollup fills, in the order it fills them."""
    from kpis.models import AgentDay, ContactDay, ContactHour, ContactInterval, StateInterval

    return (ContactInterval, StateInterval, ContactDay, AgentDay, ContactHour)


# Where the bare statements write their tables, under the rollup tables' own names.
BARE_SCHEMA = "bench_bare"


def as_create_table(statement: str) -> tuple[str, str]:
    """The rollup's `INSERT INTO <table> (<columns>) SELECT ...` as `CREATE TABLE <table>
    (<columns>) AS SELECT ...`: the same SELECT into a new table (logged, no indexes), in
    the schema first on the search path; returns it and the table."""
    insert = re.search(r"INSERT INTO (\S+) \(([^)]*)\) ", statement)
    target, columns = insert.group(1), insert.group(2)
    select = statement[: insert.start()] + statement[insert.end() :]
    return f"CREATE TABLE {target} ({columns}) AS {select}", target


def bare_statements(
    first: date, last: date, now: datetime, interval_settings: dict, day_settings: dict
) -> dict[str, tuple[float, int]]:
    """Reference: every table the rollup fills for local days first .. last, computed at
    once by its own statements, one per table (kpis.rollup.statements and states, those
    the rollup runs a table at a time), each as `CREATE TABLE ... AS SELECT` in a scratch
    schema first on the search path: the day tables read the scratch intervals, the raw
    tables are found behind it. Each runs with the settings the timed path gives the
    same statement (work_mem, jit: the interval statements', the day tables'), in a
    session of its own. Seconds and rows of each table, by model name."""
    from django.conf import settings
    from django.db import connection, transaction

    from core.localtime import local_days
    from kpis.rollup.dialect import Dialect
    from kpis.rollup.statements import (
        agent_day_statement,
        contact_day_statement,
        contact_hour_statement,
        contact_interval_statement,
        set_local,
    )
    from kpis.rollup.states import state_interval_statement, state_params

    dialect = Dialect(connection.vendor)
    start, end = local_days(first, (last - first).days + 1)
    # The parameters the rollup gives the statements of a run of days (kpis.rollup.run).
    params = state_params(start, end, now) | {"day": first, "zone": settings.TIME_ZONE}
    statements = (
        (*contact_interval_statement(start, end), interval_settings),
        (state_interval_statement(dialect), params, interval_settings),
        (contact_day_statement(dialect), params, day_settings),
        (agent_day_statement(dialect), params, day_settings),
        (contact_hour_statement(dialect), params, day_settings),
    )
    names = {
        connection.ops.quote_name(model._meta.db_table): model._meta.model_name
        for model in rollup_models()
    }
    figures = {}
    fresh_session()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {BARE_SCHEMA} CASCADE")
        cursor.execute(f"CREATE SCHEMA {BARE_SCHEMA}")
        cursor.execute("SELECT current_setting('search_path')")
        search_path = cursor.fetchone()[0]
        cursor.execute(f"SET search_path = {BARE_SCHEMA}, {search_path}")
        try:
            for statement, statement_params, statement_settings in statements:
                create, target = as_create_table(statement)
                with transaction.atomic():
                    if statement_settings:
                        set_local(cursor, statement_settings)
                    started = time.perf_counter()
                    cursor.execute(create, statement_params)
                    seconds = time.perf_counter() - started
                cursor.execute(f"SELECT count(*) FROM {BARE_SCHEMA}.{target}")  # noqa: S608
                figures[names[target]] = (seconds, cursor.fetchone()[0])
        finally:
            cursor.execute(f"SET search_path = {search_path}")
            cursor.execute(f"DROP SCHEMA {BARE_SCHEMA} CASCADE")
    fresh_session()
    assert set(figures) == set(names.values()), figures
    return figures


def bare_seconds_of_days(days, now: datetime) -> float:
    """Reference of an incremental run: the bare statements of each day it rolled, with
    the settings the rollup gives a run of days."""
    from kpis.rollup.statements import RUN_SETTINGS

    return sum(
        seconds
        for day in days
        for seconds, _ in bare_statements(day, day, now, RUN_SETTINGS, RUN_SETTINGS).values()
    )


def data_days() -> tuple[date, date]:
    """The first and last local day with contacts or agent states (rollup_kpis --all's)."""
    from django.db.models import Max, Min

    from agents.models import AgentStateEvent
    from core.localtime import zone
    from interactions.models import Interaction

    contacts = Interaction.objects.aggregate(first=Min("arrived_at"), last=Max("arrived_at"))
    states = AgentStateEvent.objects.aggregate(first=Min("at"), last=Max("at"))
    return (
        min(contacts["first"], states["first"]).astimezone(zone()).date(),
        max(contacts["last"], states["last"]).astimezone(zone()).date(),
    )


# What users run -------------------------------------------------------------------------


def fresh_session() -> None:
    """A new database session, as a worker or a shell starts with: nothing one timed path
    set for its session (work_mem, jit) carries into the next."""
    from django.db import connection, connections

    connections.close_all()
    connection.ensure_connection()


def full_rebuild_seconds() -> float:
    """`rollup_kpis --all`, as users run it (its progress bar and summary discarded)."""
    from django.core.management import call_command

    fresh_session()
    started = time.perf_counter()
    call_command("rollup_kpis", "--all", stdout=StringIO(), stderr=StringIO())
    elapsed = time.perf_counter() - started
    fresh_session()
    return elapsed


def rollup_rows() -> dict[str, int]:
    return {model._meta.model_name: model.objects.count() for model in rollup_models()}


def beat_seconds() -> tuple[float, set[date]]:
    """The minute's beat task, kpis.tasks.roll_up_since_watermark, called as the worker
    calls it (in-process); returns its seconds and the days it re-rolled (found before,
    untimed, from the same fill state: every source's is recorded at the same moment)."""
    from django.utils import timezone

    from kpis.models import RollupState
    from kpis.rollup import changed_days
    from kpis.rollup.run import LATE_COMMIT_MARGIN
    from kpis.tasks import roll_up_since_watermark

    rolled_to = RollupState.objects.get(pk=1).contacts_rolled_to
    days = changed_days(rolled_to - LATE_COMMIT_MARGIN, timezone.now())
    fresh_session()
    started = time.perf_counter()
    rolled = roll_up_since_watermark()
    elapsed = time.perf_counter() - started
    assert rolled >= 1
    return elapsed, days


def new_contacts_and_states(total: int, hot_every: int = 0) -> None:
    """1,000 new contacts and 1,000 agent state events on NEW_DAY through the ingest
    services (untimed): the contacts from 09:00, the states a contact each agent takes
    between 09:10 and 09:30 (on contact, after contact work, available), stored now."""
    from interactions import services as ingest

    base = NEW_DAY + timedelta(hours=9)
    records = [
        {"external_id": f"new{total}-{n}", "channel": "voice", "queue": "Queue 1",
         "agent": f"a{n % AGENTS:03d}",
         "customer": HOT if hot_every and n % hot_every == 0 else f"C{n * 13 % 5000}",
         "arrived_at": (base + timedelta(seconds=20 * n)).isoformat(),
         "answered_at": (base + timedelta(seconds=20 * n + 12)).isoformat(),
         "ended_at": (base + timedelta(seconds=20 * n + 250)).isoformat(), "talk_seconds": 238}
        for n in range(1000)
    ]  # fmt: skip
    report = ingest.ingest_contacts(records, default_source=f"bench-new{hot_every}")
    assert not report.rejected, report.results[:3]
    states = ("on_contact", "after_contact_work", "available", "on_contact")
    events = [
        {"agent": f"a{n % AGENTS:03d}", "state": states[n // AGENTS],
         "at": (base + timedelta(minutes=10 + 5 * (n // AGENTS), seconds=1 + n % 50)).isoformat()}
        for n in range(1000)
    ]  # fmt: skip
    report = ingest.ingest_agent_events(events)
    assert not report.rejected, report.results[:3]


def incremental_seconds(total: int, hot_every: int = 0):
    """Ingest 1,000 new contacts and 1,000 state events on one recent day (untimed), then
    time the beat task: (seconds, days rolled). With `hot_every`, every so many contacts
    is the hot customer's, and the contacts' change detection is timed on its own first:
    (detection, seconds, days)."""
    from django.utils import timezone

    from agents.models import AgentStateEvent
    from interactions.models import Interaction
    from kpis import rollup

    rollup.record_fill_states(timezone.now())
    time.sleep(0.01)
    new_contacts_and_states(total, hot_every)
    detection = None
    if hot_every:
        from kpis.models import RollupState
        from kpis.rollup.changes import contact_changed_days
        from kpis.rollup.run import LATE_COMMIT_MARGIN

        since = RollupState.objects.get(pk=1).contacts_rolled_to - LATE_COMMIT_MARGIN
        started = time.perf_counter()
        contact_changed_days(since, timezone.now())
        detection = time.perf_counter() - started
    elapsed, days = beat_seconds()
    # Stored long ago, like the rest of the history: the next run's look-back for late
    # commits must not take them again.
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    Interaction.objects.filter(source=f"bench-new{hot_every}").update(updated_at=long_ago)
    AgentStateEvent.objects.filter(received_at__gt=long_ago).update(received_at=long_ago)
    return (detection, elapsed, days) if hot_every else (elapsed, days)


def shift_move_seconds() -> tuple[float, float, set[date]]:
    """One shift of the incremental day's week moved an hour later through
    scheduling.services.shift_move (as the move form calls it), then the beat task:
    (the move's seconds, the beat task's, the days it rolled)."""
    from django.utils import timezone

    from kpis import rollup
    from scheduling import services
    from scheduling.models import Shift

    # The run after the move sees the move alone, not the previous run's contacts again
    # (each run looks a minute back for late commits).
    rollup.record_fill_states(timezone.now())
    time.sleep(0.01)
    day = NEW_DAY - timedelta(days=1)
    shift = Shift.objects.get(
        agent__login="a000", start__gte=day, start__lt=day + timedelta(days=1)
    )
    started = time.perf_counter()
    services.shift_move(shift=shift, start=shift.start + timedelta(hours=1))
    move = time.perf_counter() - started
    elapsed, days = beat_seconds()
    return move, elapsed, days


def hot_customer_seconds(count: int, size: int, year: int, ids) -> tuple[float, ...]:
    """With `count` contacts of one customer: the change detection of their import, the
    roll of every day they touched (the FCR look-ahead on that customer), then the
    detection and the incremental run after 1,000 new contacts (every tenth the hot
    customer's) and 1,000 state events."""
    from django.db import connection
    from django.utils import timezone

    from interactions.models import Interaction
    from kpis import rollup
    from kpis.rollup.changes import contact_changed_days

    since = timezone.now()
    rollup.record_fill_states(since)
    time.sleep(0.01)
    hot_history(count, year - size, year, ids)
    started = time.perf_counter()
    days = contact_changed_days(since, timezone.now())
    import_detection = time.perf_counter() - started
    started = time.perf_counter()
    rollup.roll_up_days(days)
    rebuild = time.perf_counter() - started
    # Stored long ago, like the rest of the history: the next run's 60-second look-back
    # for late commits must not take the import again.
    Interaction.objects.filter(source="bench-hot").update(
        updated_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE interactions_interaction")
    detection, incremental, _days = incremental_seconds(size, hot_every=10)
    return import_detection, rebuild, detection, incremental


def page_milliseconds(path: str, repeat: int = 5) -> float:
    """Median server time of a dashboard page for a manager (in-process, full render)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-manager", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    return statistics.median(timings)


def live_milliseconds(repeat: int = 7) -> float:
    """Median server time of /api/v1/live/ with today's traffic on top of the history."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from rest_framework.test import APIClient

    from interactions import services as ingest

    now = timezone.now()
    records = [
        {"external_id": f"today-{n}", "channel": "voice", "queue": f"Queue {n % QUEUES}",
         "arrived_at": (now - timedelta(seconds=30 * n)).isoformat(),
         **({} if n % 5 == 0 else {"answered_at": (now - timedelta(seconds=30 * n - 10)).isoformat(),
                                   "ended_at": (now - timedelta(seconds=30 * n - 200)).isoformat()
                                   if n > 10 else None, "agent": f"a{n % AGENTS:03d}"})}
        for n in range(1000)
    ]  # fmt: skip
    ingest.ingest_contacts(records, default_source="bench-today")
    ingest.ingest_agent_events(
        [{"agent": f"a{n:03d}", "state": "available", "at": (now - timedelta(minutes=n % 60)).isoformat()}
         for n in range(AGENTS)]
    )  # fmt: skip
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = APIClient()
    client.force_authenticate(user)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get("/api/v1/live/")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(timings)


def api_milliseconds(repeat: int = 7) -> float:
    """Median server time of /api/v1/kpis/ for 90 days by day and queue (in-process)."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = APIClient()
    client.force_authenticate(user)
    url = "/api/v1/kpis/?start=2025-10-01&end=2025-12-29&granularity=day&group_by=queue"
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and len(response.json()["results"]) == 90 * QUEUES
    return statistics.median(timings)


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "–"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def print_tables(figures, pages, hot, hot_count) -> None:
    """Markdown tables for docs/benchmarks.md, and the bars."""
    names = [model._meta.model_name for model in rollup_models()]
    print(
        f"\nPostgreSQL, {os.cpu_count()} cores, {AGENTS} agents in {TEAMS} teams, {QUEUES} queues\n"
    )
    print("| contacts | state events | shifts | bare statements (s) | `rollup_kpis --all` (s) | "
          "rebuild / bare | bar <= 1.5 |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---|")
    for f in figures:
        bare = sum(seconds for seconds, _ in f["bare"].values())
        print(f"| {f['size']:,} | {f['states']:,} | {f['shifts']:,} | {bare:.2f} | "
              f"{f['rebuild']:.2f} | {ratio(f['rebuild'], bare)} | "
              f"{verdict(f['rebuild'] <= REBUILD_BAR * bare)} |")  # fmt: skip
    print("\nThe bare statements, each `CREATE TABLE ... AS SELECT` over the whole range "
          "(seconds, rows; the rebuild's rows alike unless marked):\n")  # fmt: skip
    print(f"| contacts | {' | '.join(names)} |")
    print(f"|---:|{'---:|' * len(names)}")
    for f in figures:
        cells = []
        for name in names:
            seconds, rows = f["bare"][name]
            mismatch = "" if f["rows"][name] == rows else f" (rebuild: {f['rows'][name]:,})"
            cells.append(f"{seconds:.2f} s, {rows:,}{mismatch}")
        print(f"| {f['size']:,} | {' | '.join(cells)} |")
    first, last = figures[0], figures[-1]
    flat = len(figures) > 1
    print("\n| contacts | beat task after 1,000 contacts + 1,000 states (ms) | bare statements of "
          "its days (ms) | task / bare | shift moved: `shift_move` (ms) | beat task after it (ms) "
          "| bare statements of its days (ms) | task / bare |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in figures:
        print(f"| {f['size']:,} | {f['incremental'] * 1000:.0f} | {f['incremental_bare'] * 1000:.0f} | "
              f"{ratio(f['incremental'], f['incremental_bare'])} | {f['move'] * 1000:.0f} | "
              f"{f['moved'] * 1000:.0f} | {f['moved_bare'] * 1000:.0f} | "
              f"{ratio(f['moved'], f['moved_bare'])} |")  # fmt: skip
    print(
        f"\n(days rolled: {', '.join(str(sorted(map(str, f['days']))) for f in figures)}; "
        f"after the move: {', '.join(str(sorted(map(str, f['moved_days']))) for f in figures)})"
    )
    if hot:
        print("\n| contacts | + contacts of one customer | detection of their import (s) | "
              "their days rolled (s) | full rebuild, normal case (s) | "
              "detection after 1,000 new, 100 of it (ms) | incremental after them (ms) | "
              "incremental, normal case (ms) |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        normal = {f["size"]: f for f in figures}
        for size, imported, rolled, detection, incremental in hot:
            print(f"| {size:,} | {hot_count:,} | {imported:.2f} | {rolled:.2f} | "
                  f"{normal[size]['rebuild']:.2f} | {detection * 1000:.0f} | "
                  f"{incremental * 1000:.0f} | {normal[size]['incremental'] * 1000:.0f} |")  # fmt: skip
    print("\n| contacts | overview, 30 days (ms) | team page, 30 days (ms) | "
          "`/api/v1/kpis/` 90 days x queue (ms) | `/api/v1/live/` (ms) |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|")
    for f in figures:
        page = pages.get(f["size"])
        cells = ("–", "–") if page is None else (f"{page[0]:.0f}", f"{page[1]:.0f}")
        live = "–" if page is None else f"{page[2]:.1f}"
        print(f"| {f['size']:,} | {cells[0]} | {cells[1]} | {f['api']:.1f} | {live} |")
    print("\nBars (issue 20):")
    bare = {f["size"]: sum(s for s, _ in f["bare"].values()) for f in figures}
    for f in figures:
        print(f"- {f['size']:,}: rebuild {ratio(f['rebuild'], bare[f['size']])}x the bare "
              f"statements (<= {REBUILD_BAR}): {verdict(f['rebuild'] <= REBUILD_BAR * bare[f['size']])}; "
              f"incremental {f['incremental']:.3f} s (< {INCREMENTAL_BAR}): "
              f"{verdict(f['incremental'] < INCREMENTAL_BAR)}; after a shift moves "
              f"{f['moved']:.3f} s (< {INCREMENTAL_BAR}): {verdict(f['moved'] < INCREMENTAL_BAR)}")  # fmt: skip
    if flat:
        growth = last["incremental"] / first["incremental"]
        print(
            f"- incremental {last['size']:,} / {first['size']:,}: {growth:.2f} "
            f"(<= {FLAT_BAR}): {verdict(growth <= FLAT_BAR)}"
        )
    if pages and last["size"] in pages:
        overview, team, _ = pages[last["size"]]
        print(f"- {last['size']:,}: overview {overview:.0f} ms, team {team:.0f} ms (< {PAGE_BAR}): "
              f"{verdict(overview < PAGE_BAR)}, {verdict(team < PAGE_BAR)}")  # fmt: skip
        if flat and first["size"] in pages:
            for index, name in ((0, "overview"), (1, "team")):
                growth = pages[last["size"]][index] / pages[first["size"]][index]
                print(
                    f"- {name} {last['size']:,} / {first['size']:,}: {growth:.2f} "
                    f"(<= {FLAT_BAR}): {verdict(growth <= FLAT_BAR)}"
                )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--hot-customer", type=int, default=0, metavar="N",
        help="also measure with N contacts of one customer (a withheld caller id)",
    )  # fmt: skip
    parser.add_argument("--skip-pages", action="store_true", help="rollups and the KPI API only")
    args = parser.parse_args()
    figures, pages, hot = [], {}, []
    try:
        create_bench_database()
        from django.core.management import call_command
        from django.utils import timezone

        from kpis.rollup.rebuild import DAY_TABLES_SETTINGS, REBUILD_SETTINGS

        # Production settings serve hashed static files: the pages need the manifest.
        call_command("collectstatic", interactive=False, verbosity=0)
        ids = people()
        # A year holds YEAR_CONTACTS (or the largest size, if larger): any size alone is
        # the same history as in the default run.
        year = max(YEAR_CONTACTS, *args.sizes)
        for size in sorted(args.sizes):
            reset()
            # The same density, history growing backwards from the end of the year: what
            # changes between sizes is only its length.
            generate(year - size, size, year, ids)
            shifts, states = generate_schedules(year - size, year)
            f = {"size": size, "shifts": shifts, "states": states}
            first, last = data_days()
            f["bare"] = bare_statements(
                first, last, timezone.now(), REBUILD_SETTINGS,
                REBUILD_SETTINGS | DAY_TABLES_SETTINGS,
            )  # fmt: skip
            f["rebuild"] = full_rebuild_seconds()
            f["rows"] = rollup_rows()
            print(f"{size:,} ({states:,} states, {shifts:,} shifts, {first} to {last}): bare "
                  + ", ".join(f"{name} {s:.2f} s" for name, (s, _) in f["bare"].items())
                  + f"; rollup_kpis --all {f['rebuild']:.2f} s", flush=True)  # fmt: skip
            f["incremental"], f["days"] = incremental_seconds(size)
            f["incremental_bare"] = bare_seconds_of_days(f["days"], timezone.now())
            f["move"], f["moved"], f["moved_days"] = shift_move_seconds()
            f["moved_bare"] = bare_seconds_of_days(f["moved_days"], timezone.now())
            f["api"] = api_milliseconds()
            print(f"{size:,}: incremental {f['incremental'] * 1000:.0f} ms (bare "
                  f"{f['incremental_bare'] * 1000:.0f} ms), shift move {f['move'] * 1000:.0f} ms "
                  f"then {f['moved'] * 1000:.0f} ms (bare {f['moved_bare'] * 1000:.0f} ms), "
                  f"api {f['api']:.1f} ms", flush=True)  # fmt: skip
            figures.append(f)
            if args.hot_customer:
                hot.append((size, *hot_customer_seconds(args.hot_customer, size, year, ids)))
                print(f"{size:,} + {args.hot_customer:,} of one customer: import detection "
                      f"{hot[-1][1]:.2f} s, their days rolled {hot[-1][2]:.2f} s, detection "
                      f"{hot[-1][3] * 1000:.0f} ms, incremental {hot[-1][4] * 1000:.0f} ms",
                      flush=True)  # fmt: skip
            if args.skip_pages:
                continue
            from agents.models import Team

            last30 = "?period=custom&start=2025-12-01&end=2025-12-30"
            overview = page_milliseconds("/dashboard/" + last30)
            # Team 1: team 0's agents (every tenth) take none of the generated contacts.
            team = page_milliseconds(f"/teams/{Team.objects.get(name='Team 1').pk}/" + last30)
            pages[size] = (overview, team, live_milliseconds())
            print(
                f"{size:,}: overview {overview:.0f} ms, team {team:.0f} ms, live "
                f"{pages[size][2]:.1f} ms",
                flush=True,
            )
        print_tables(figures, pages, hot, args.hot_customer)
    finally:
        drop_bench_database()


if __name__ == "__main__":
    main()
