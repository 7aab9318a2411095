"""Ingest benchmark: CSV import and bulk API beside PostgreSQL's own COPY of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/contactcenter python bench/ingest.py

Uses its own database (<name>_bench, created and migrated here, dropped at the end), so
it never touches real data. Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import csv
import functools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLUMNS = [
    "external_id",
    "channel",
    "queue",
    "agent",
    "customer",
    "arrived_at",
    "answered_at",
    "ended_at",
    "talk_seconds",
    "hold_seconds",
    "wrap_seconds",
    "transferred",
    "resolved",
    "topic",
    "csat",
]
QUEUES = ["Billing", "Tech Support", "Sales", "Chat", "Email"]


def generated_rows(count: int):
    """Deterministic, realistic-looking contacts: one every 30 s, 60 agents, 5 queues."""
    # 2025-01-01T00:00:00Z: a million rows, one every 30 s, end before today (times beyond
    # the future horizon are refused)
    base = 1_735_689_600
    for n in range(count):
        arrived = base + n * 30
        answered = arrived + (n * 7) % 45
        ended = answered + 120 + (n * 13) % 400
        yield [
            f"b{n}",
            "chat" if n % 5 == 3 else "voice",
            QUEUES[n % 5],
            f"agent{n % 60:02d}",
            f"C{(n * 7919) % 50000:06d}",
            _iso(arrived),
            _iso(answered),
            _iso(ended),
            str(ended - answered - 30),
            "10",
            "20",
            "true" if n % 17 == 0 else "false",
            "" if n % 9 == 0 else ("true" if n % 4 else "false"),
            "billing",
            str(1 + n % 5) if n % 4 == 0 else "",
        ]


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def write_csv(path: Path, count: int):
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(generated_rows(count))


def setup_django(bench_url: str):
    # Production settings: with DEBUG on, Django keeps every query in memory.
    os.environ.update(
        DATABASE_URL=bench_url,
        DEBUG="0",
        SECRET_KEY="bench-only-" + "x" * 50,
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=tempfile.gettempdir() + "/contactcenter-bench-static",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
    import django

    django.setup()


@functools.cache  # read before setup_django() points DATABASE_URL at the bench database
def _bench_names() -> tuple[str, str, str]:
    """The maintenance database's URL, the bench database's name and its URL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark is about PostgreSQL.")
    base, _, name = url.rpartition("/")
    return f"{base}/postgres", f"{name}_bench", f"{base}/{name}_bench"


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_bench_names()[0], autocommit=True) as admin:
        admin.execute(sql)


def create_bench_database() -> str:
    """A fresh <name>_bench database, migrated, with Django set up on it; returns its URL."""
    _admin_url, name, url = _bench_names()
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the API's throttle counts
    return url


def drop_bench_database() -> None:
    from django.db import connections

    connections.close_all()
    _admin(f'DROP DATABASE IF EXISTS "{_bench_names()[1]}"')


def reset_contacts(*, keep_queues_and_agents=False):
    from django.db import connection

    tables = ["interactions_survey", "interactions_interaction"]
    if not keep_queues_and_agents:
        tables += ["interactions_queue", "agents_agent"]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        cursor.execute("VACUUM ANALYZE interactions_interaction")


def bench_copy(csv_path: Path) -> float:
    """PostgreSQL's COPY of the same file into a plain table of the file's columns, typed
    like ours, with only a primary key (reference)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(
            "CREATE TABLE bench_copy (external_id varchar(128) PRIMARY KEY, channel varchar(16), "
            "queue varchar(255), agent varchar(255), customer varchar(255), arrived_at timestamptz, "
            "answered_at timestamptz, ended_at timestamptz, talk_seconds double precision, "
            "hold_seconds double precision, wrap_seconds double precision, transferred boolean, "
            "resolved boolean, topic varchar(255), csat smallint)"
        )
        started = time.perf_counter()
        with (
            csv_path.open("rb") as data,
            cursor.copy(
                "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true, NULL '')"
            ) as copy,
        ):
            while chunk := data.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


# The contacts table's columns a COPY fills beside the file's: what the ingest stores
# when the file does not say (source, direction, empty texts) and the stamps.
NULL = r"\N"  # empty text is text here (recording_url, transcript), not NULL
REAL_EXTRA = {
    "source": "bench",
    "direction": "inbound",
    "callback_requested": "false",
    "recording_url": "",
    "transcript": "",
}


def write_real_csv(path: Path, count: int) -> list[str]:
    """The same rows shaped as the contacts table stores them (queue and agent as ids,
    every column the ingest writes); the column list for COPY."""
    from agents.models import Agent
    from interactions.models import Queue

    queue_ids = dict(Queue.objects.values_list("name", "id"))
    agents = {
        login: (pk, team) for login, pk, team in Agent.objects.values_list("login", "id", "team_id")
    }
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    columns = [
        *(name for name in COLUMNS if name not in ("queue", "agent")),
        *REAL_EXTRA,
        "nps",
        "queue_id",
        "agent_id",
        "team_id",
        "created_at",
        "updated_at",
    ]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for row in generated_rows(count):
            record = dict(zip(COLUMNS, row, strict=True))
            agent_id, team_id = agents[record["agent"]]
            writer.writerow(
                [
                    *(
                        value or NULL
                        for name, value in record.items()
                        if name not in ("queue", "agent")
                    ),
                    *REAL_EXTRA.values(),
                    NULL,
                    queue_ids[record["queue"]],
                    agent_id,
                    NULL if team_id is None else team_id,
                    now,
                    now,
                ]
            )
    return columns


def bench_copy_real(csv_path: Path, count: int) -> float:
    """COPY of the same rows into the real contacts table, with its indexes, constraints
    and foreign keys (reference): queues and agents exist, as after one import."""
    from django.db import connection

    real_path = csv_path.with_suffix(".real.csv")
    columns = write_real_csv(real_path, count)
    reset_contacts(keep_queues_and_agents=True)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        with (
            real_path.open("rb") as data,
            cursor.copy(
                f"COPY interactions_interaction ({', '.join(columns)}) "
                f"FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"
            ) as copy,
        ):
            while chunk := data.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
    real_path.unlink()
    return elapsed


def bench_csv_import(csv_path: Path) -> float:
    from interactions import imports

    reset_contacts()
    started = time.perf_counter()
    with csv_path.open("rb") as binary:
        summary = imports.import_contacts(binary, source="bench")
    elapsed = time.perf_counter() - started
    assert summary.rejected == 0, summary.rejected_lines[:3]
    return elapsed


def bench_api(count: int, batch: int) -> float:
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    reset_contacts()
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = APIClient()
    client.force_authenticate(user)
    records = [
        {key: value for key, value in zip(COLUMNS, row, strict=True) if value != ""}
        for row in generated_rows(count)
    ]
    for record in records:
        for key in ("talk_seconds", "hold_seconds", "wrap_seconds"):
            record[key] = float(record[key])
        for key in ("transferred", "resolved"):
            if key in record:
                record[key] = record[key] == "true"
        if "csat" in record:
            record["csat"] = int(record["csat"])
    bodies = [records[i : i + batch] for i in range(0, count, batch)]
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/api/v1/contacts/", body, format="json")
        assert response.status_code == 200, response.content[:300]
    return time.perf_counter() - started


def peak_memory_of_import(csv_path: Path, bench_url: str) -> tuple[float, float]:
    """Peak RSS in MiB of a separate process importing the file, and its peak before the
    import (Django and the apps loaded).

    Read from /proc (VmHWM): getrusage's ru_maxrss survives exec on Linux and would
    report this benchmark's own peak instead of the child's.
    """
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import bench.ingest as b; "
        "peak = lambda: [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]; "
        f"b.setup_django({bench_url!r}); import interactions.imports; print(peak()); "
        f"b.bench_csv_import(__import__('pathlib').Path({str(csv_path)!r})); print(peak())"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    before, after = (int(line) / 1024 for line in output.strip().splitlines()[-2:])
    return after, before


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--api-batch", type=int, default=5000)
    parser.add_argument("--memory-rows", type=int, nargs=2, default=[100_000, 1_000_000])
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each path, best kept")
    args = parser.parse_args()

    try:
        bench_url = create_bench_database()
        with tempfile.TemporaryDirectory() as folder:
            csv_path = Path(folder) / "contacts.csv"
            write_csv(csv_path, args.rows)
            # Each path as often as --repeat says, in turn, and its best time: on a machine
            # shared with other work, load comes and goes during a run.
            runs = [
                (
                    bench_copy(csv_path),
                    bench_csv_import(csv_path),  # creates the queues and agents
                    bench_copy_real(csv_path, args.rows),
                    bench_api(args.rows, args.api_batch),
                )
                for _ in range(args.repeat)
            ]
            copy_s, csv_s, real_s, api_s = (min(times) for times in zip(*runs, strict=True))
            print(
                f"\n{args.rows:,} contacts on PostgreSQL, {os.cpu_count()} cores, "
                f"best of {args.repeat}\n"
            )
            print("| path | seconds | rows/s | x COPY plain | x COPY real |")
            print("|---|---:|---:|---:|---:|")
            for label, seconds in [
                ("`COPY` into a plain table (reference)", copy_s),
                ("`COPY` into the contacts table, its indexes (reference)", real_s),
                ("CSV import (`import_contacts`)", csv_s),
                (f"bulk API, {args.api_batch:,} per request", api_s),
            ]:
                print(
                    f"| {label} | {seconds:.2f} | {args.rows / seconds:,.0f} "
                    f"| {seconds / copy_s:.1f} | {seconds / real_s:.2f} |"
                )
            if not args.skip_memory:
                print(
                    "\n| CSV rows | peak RSS of the import process (MiB) | before the import |"
                    "\n|---:|---:|---:|"
                )
                for rows in args.memory_rows:
                    write_csv(csv_path, rows)
                    peak, before = peak_memory_of_import(csv_path, bench_url)
                    print(f"| {rows:,} | {peak:.0f} | {before:.0f} |")
    finally:
        drop_bench_database()


if __name__ == "__main__":
    main()
