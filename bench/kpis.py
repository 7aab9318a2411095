"""KPI engine benchmark: rollups and the KPI API at 100k and 1M contacts of history.

History grows in length at a fixed density (1M contacts a year): 100k is the year's last
five weeks. The incremental rollup adds 1,000 contacts on 20 December, the API reads the
last 90 days by day and queue.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/contactcenter python bench/kpis.py

On its own database (<name>_bench, created and dropped here). Contacts are generated in
SQL: one year, 300 agents in 10 teams, 5 queues. Each figure is measured beside its
reference in the same run; a Markdown table is printed for docs/benchmarks.md.

`--hot-customer N` adds N contacts of one customer (a withheld caller id) spread over the
history and measures, beside the normal case, the change detection of their import and
the incremental run after 1,000 new contacts of which every tenth is that customer's.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import create_bench_database, drop_bench_database  # noqa: E402 (after the path above)

YEAR_START = date(2025, 1, 1)
AGENTS, TEAMS, QUEUES = 300, 10, 5


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


def hot_customer_seconds(count: int, size: int, largest: int, ids) -> tuple[float, ...]:
    """With `count` contacts of one customer: the change detection of their import, the
    roll of every day they touched (the FCR look-ahead on that customer), then the
    detection and the incremental run after 1,000 new contacts (every tenth the hot
    customer's)."""
    from django.db import connection
    from django.utils import timezone

    from interactions.models import Interaction
    from kpis import rollup
    from kpis.rollup.changes import contact_changed_days

    since = timezone.now()
    rollup.record_fill_states(since)
    time.sleep(0.01)
    hot_history(count, largest - size, largest, ids)
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
    detection, incremental = incremental_seconds(size, hot_every=10)
    return import_detection, rebuild, detection, incremental


def bare_group_by_seconds() -> float:
    """Reference: the rollup's own SELECT over the whole raw table at once, written to a
    scratch table (every column computed, as the INSERT does, but no per-day work)."""
    from django.db import connection

    from kpis.rollup import contact_interval_rows

    select, params = contact_interval_rows().query.sql_with_params()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(f"CREATE TEMP TABLE bench_rows AS {select}", params)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_rows")
        rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_rows")
    return elapsed, rows


def full_rebuild_seconds() -> float:
    from kpis import rollup

    days = [YEAR_START + timedelta(days=n) for n in range(366)]
    started = time.perf_counter()
    rollup.roll_up_days(days)
    return time.perf_counter() - started


def incremental_seconds(total: int, hot_every: int = 0):
    """Ingest 1,000 new contacts on one recent day (not timed), then time the rollup
    (with `hot_every`, every so many is the hot customer's, and the change detection is
    timed on its own first: returns both)."""
    from interactions import services as ingest
    from kpis import rollup

    rollup.record_fill_states(datetime.now(UTC))
    time.sleep(0.01)
    base = datetime(2025, 12, 20, 9, tzinfo=UTC)
    records = [
        {"external_id": f"new{total}-{n}", "channel": "voice", "queue": "Queue 1",
         "agent": f"a{n % AGENTS:03d}",
         "customer": HOT if hot_every and n % hot_every == 0 else f"C{n * 13 % 5000}",
         "arrived_at": (base + timedelta(seconds=20 * n)).isoformat(),
         "answered_at": (base + timedelta(seconds=20 * n + 12)).isoformat(),
         "ended_at": (base + timedelta(seconds=20 * n + 250)).isoformat(), "talk_seconds": 238}
        for n in range(1000)
    ]  # fmt: skip
    ingest.ingest_contacts(records, default_source=f"bench-new{hot_every}")
    detection = None
    if hot_every:
        from django.utils import timezone

        from kpis.models import RollupState
        from kpis.rollup.changes import contact_changed_days
        from kpis.rollup.run import LATE_COMMIT_MARGIN

        since = RollupState.objects.get(pk=1).contacts_rolled_to - LATE_COMMIT_MARGIN
        started = time.perf_counter()
        contact_changed_days(since, timezone.now())
        detection = time.perf_counter() - started
    started = time.perf_counter()
    days = rollup.roll_up_changes()
    elapsed = time.perf_counter() - started
    assert days >= 1
    return (detection, elapsed) if hot_every else elapsed


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--hot-customer", type=int, default=0, metavar="N",
        help="also measure with N contacts of one customer (a withheld caller id)",
    )  # fmt: skip
    parser.add_argument("--skip-pages", action="store_true", help="rollups only")
    args = parser.parse_args()
    figures, pages, hot = [], [], []
    try:
        create_bench_database()
        from django.core.management import call_command
        from django.db import connection

        # Production settings serve hashed static files: the pages need the manifest.
        call_command("collectstatic", interactive=False, verbosity=0)
        ids = people()
        for size in args.sizes:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM interactions_interaction")
                cursor.execute("DELETE FROM agents_agentstateevent")
            # The same density (a year of the largest size), history growing backwards
            # from the end of the year: what changes between sizes is only its length.
            largest = max(args.sizes)
            generate(largest - size, size, largest, ids)
            reference, rows = bare_group_by_seconds()
            rebuild = full_rebuild_seconds()
            incremental = incremental_seconds(size)
            api = api_milliseconds()
            figures.append((size, rows, reference, rebuild, incremental, api))
            print(f"{size:,}: reference {reference:.2f} s, rebuild {rebuild:.2f} s, "
                  f"incremental {incremental * 1000:.0f} ms, api {api:.1f} ms", flush=True)  # fmt: skip
            if args.hot_customer:
                hot.append((size, *hot_customer_seconds(args.hot_customer, size, largest, ids)))
                print(f"{size:,} + {args.hot_customer:,} of one customer: import detection "
                      f"{hot[-1][1]:.2f} s, their days rolled {hot[-1][2]:.2f} s, detection "
                      f"{hot[-1][3] * 1000:.0f} ms, incremental {hot[-1][4] * 1000:.0f} ms",
                      flush=True)  # fmt: skip
            if args.skip_pages:
                continue
            from agents.models import Team

            last30 = "?period=custom&start=2025-12-01&end=2025-12-30"
            overview = page_milliseconds("/dashboard/" + last30)
            team = page_milliseconds(f"/teams/{Team.objects.first().pk}/" + last30)
            pages.append((size, overview, team, live_milliseconds()))
        print(f"\nPostgreSQL, {os.cpu_count()} cores, one year, {AGENTS} agents, {QUEUES} queues\n")
        print("| contacts | interval rows | bare SQL GROUP BY (s) | full rebuild (s) | rebuild / bare | "
              "incremental after 1,000 new (ms) | /api/v1/kpis/ 90 days x queue (ms) |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for size, rows, reference, rebuild, incremental, api in figures:
            print(f"| {size:,} | {rows:,} | {reference:.2f} | {rebuild:.2f} | {rebuild / reference:.2f} | "
                  f"{incremental * 1000:.0f} | {api:.1f} |")  # fmt: skip
        if hot:
            print("\n| contacts | + contacts of one customer | detection of their import (s) | "
                  "their days rolled (s) | full rebuild, normal case (s) | "
                  "detection after 1,000 new, 100 of it (ms) | incremental after them (ms) | "
                  "incremental, normal case (ms) |")  # fmt: skip
            print("|---:|---:|---:|---:|---:|---:|---:|---:|")
            normal = {size: (rebuild, inc) for size, _, _, rebuild, inc, _ in figures}
            for size, imported, rolled, detection, incremental in hot:
                print(f"| {size:,} | {args.hot_customer:,} | {imported:.2f} | {rolled:.2f} | "
                      f"{normal[size][0]:.2f} | {detection * 1000:.0f} | "
                      f"{incremental * 1000:.0f} | {normal[size][1] * 1000:.0f} |")  # fmt: skip
        print(
            "\n| contacts | overview, 30 days (ms) | team page, 30 days (ms) | /api/v1/live/ (ms) |"
        )
        print("|---:|---:|---:|---:|")
        for size, overview, team, live in pages:
            print(f"| {size:,} | {overview:.0f} | {team:.0f} | {live:.1f} |")
    finally:
        drop_bench_database()


if __name__ == "__main__":
    main()
