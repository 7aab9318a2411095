"""Schedule benchmark: the week grid, roster, adherence view and schedules API, and the
rollup after a shift moves, with one month and with one year of schedule history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/contactcenter python bench/schedules.py

On its own database (<name>_bench, created and dropped here). 300 agents in 10 teams work
five 8.5-hour shifts a week with a break, lunch and a break (plus work between them), and
log states around them every day of the history (logins, a contact, breaks; some late,
some leaving early; a few weekend sessions: `generate`, shared with bench/kpis.py). Each page is measured beside the bare SQL
read of the same week's shifts (the reference); a Markdown table is printed for
docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import create_bench_database, drop_bench_database  # noqa: E402 (after the path above)

AGENTS, TEAMS = 300, 10
# Activities inside a shift, as (kind, minutes after the start, minutes).
PATTERN = [("work", 0, 120), ("break", 120, 15), ("work", 135, 105), ("lunch", 240, 30),
           ("work", 270, 120), ("break", 390, 15), ("work", 405, 105)]  # fmt: skip


def people():
    from agents.models import Agent, Team

    teams = [Team.objects.create(name=f"Team {n}") for n in range(TEAMS)]
    Agent.objects.bulk_create(
        Agent(login=f"a{n:03d}", team=teams[n % TEAMS]) for n in range(AGENTS)
    )
    return teams


# The states an agent logs in a shift, as (state, minutes after the shift starts), by
# (agent + day) % 4: the schedule followed (three minutes late back from each break), a
# contact before the first break, a late day (late login, break and lunch; no second
# break), a long second break and gone 45 minutes early. 8 a shift on average.
STATE_PATTERNS = (
    (("available", 0), ("break", 120), ("available", 138), ("lunch", 240), ("available", 273),
     ("break", 390), ("available", 408), ("offline", 510)),
    (("available", 0), ("on_contact", 25), ("after_contact_work", 31), ("available", 33),
     ("break", 120), ("available", 136), ("lunch", 240), ("available", 272), ("break", 390),
     ("available", 407), ("offline", 510)),
    (("available", 6), ("break", 125), ("available", 142), ("lunch", 248), ("available", 283),
     ("offline", 510)),
    (("available", 0), ("break", 120), ("available", 138), ("lunch", 240), ("available", 273),
     ("break", 390), ("offline", 465)),
)  # fmt: skip
# Off the schedule: half the agents log in for two hours on one Saturday a year.
WEEKEND_SESSION = (("available", 10 * 60), ("offline", 12 * 60))


def generate(first_day, last_day) -> int:
    """Weekday shifts 08:00-16:30 UTC for every agent, their activities, and the states
    they log around them (STATE_PATTERNS, WEEKEND_SESSION), in SQL; returns the number of
    shifts. A year is 261 shifts and 2,089 states an agent."""
    from django.db import connection

    values = ", ".join(f"('{kind}', {offset}, {minutes})" for kind, offset, minutes in PATTERN)
    states = ", ".join(
        f"({variant}, '{state}', {minute})"
        for variant, pattern in enumerate(STATE_PATTERNS)
        for state, minute in pattern
    )
    weekend = ", ".join(f"('{state}', {minute})" for state, minute in WEEKEND_SESSION)
    first_saturday = first_day + timedelta(days=(5 - first_day.weekday()) % 7)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scheduling_shift (agent_id, team_id, start, \"end\", note, created_at, updated_at) "
            "SELECT a.id, a.team_id, d + interval '8 hours', d + interval '16 hours 30 minutes', '', now(), now() "
            "FROM agents_agent a, generate_series(%s::timestamptz, %s::timestamptz, interval '1 day') d "
            "WHERE extract(isodow FROM d) < 6",
            [first_day, last_day],
        )  # fmt: skip
        shifts = cursor.rowcount
        activities = f"""
            INSERT INTO scheduling_shiftactivity (shift_id, kind, start, "end")
            SELECT s.id, p.kind, s.start + p.o * interval '1 minute',
                s.start + (p.o + p.m) * interval '1 minute'
            FROM scheduling_shift s, (VALUES {values}) p(kind, o, m)
        """  # noqa: S608 (bench-only literals from PATTERN above)
        cursor.execute(activities)
        # Agent ids are consecutive: each day, a quarter of the agents on each pattern.
        events = f"""
            INSERT INTO agents_agentstateevent (agent_id, team_id, state, at, received_at)
            SELECT s.agent_id, s.team_id, p.state, s.start + p.minute * interval '1 minute',
                '2026-01-01'::timestamptz
            FROM scheduling_shift s JOIN (VALUES {states}) p(variant, state, minute)
                ON p.variant = (s.agent_id + floor(extract(epoch FROM s.start) / 86400)::int) %% 4
            UNION ALL
            SELECT a.id, a.team_id, w.state, d + w.minute * interval '1 minute',
                '2026-01-01'::timestamptz
            FROM agents_agent a, (VALUES {weekend}) w(state, minute),
                generate_series(%s::timestamptz, %s::timestamptz, interval '7 days') d
            WHERE a.id %% 2 = 0 AND (a.id / 2) %% 52 = ((d::date - date '2025-01-04') / 7) %% 52
        """  # noqa: S608 (bench-only literals from STATE_PATTERNS above)
        cursor.execute(events, [first_saturday, last_day])
        cursor.execute("ANALYZE")
    return shifts


def median_ms(function, repeat=7) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure(team, week_start) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from kpis import rollup
    from scheduling import services
    from scheduling.models import Shift

    user, _ = get_user_model().objects.get_or_create(
        username="bench-manager", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)

    def get(path):
        def call():
            response = client.get(path)
            assert response.status_code == 200, path

        return call

    def reference():
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT s.id, s.agent_id, s.start, s."end", a.kind, a.start, a."end" '
                "FROM scheduling_shift s JOIN scheduling_shiftactivity a ON a.shift_id = s.id "
                "JOIN agents_agent g ON g.id = s.agent_id WHERE g.team_id = %s "
                "AND s.start >= %s AND s.start < %s",
                [team.pk, week_start, week_start + timedelta(days=7)],
            )
            cursor.fetchall()

    week = f"{week_start:%Y-%m-%d}"
    figures = {
        "reference": median_ms(reference),
        "grid": median_ms(get(f"/teams/{team.pk}/schedule/?week={week}")),
        "roster": median_ms(get(f"/teams/{team.pk}/roster/")),
        "adherence": median_ms(get(f"/teams/{team.pk}/adherence/")),
        "api": median_ms(get(f"/api/v1/schedules/?start={week}&team={team.name}&page_size=1000")),
    }
    # The minute rollup after one shift moves by an hour: its day is re-rolled.
    rollup.record_fill_states(timezone.now())
    shift = Shift.objects.filter(agent__team=team, start__gte=week_start).order_by("start").first()
    services.shift_move(shift=shift, start=shift.start + timedelta(hours=1))
    started = time.perf_counter()
    days = rollup.roll_up_changes()
    figures["rollup"] = (time.perf_counter() - started) * 1000
    assert days >= 1
    started = time.perf_counter()
    rollup.roll_up_days([timezone.localtime(shift.start).date()])
    figures["one_day"] = (time.perf_counter() - started) * 1000
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, nargs="+", default=[1, 12])
    args = parser.parse_args()
    rows = []
    try:
        create_bench_database()
        from django.core.management import call_command
        from django.db import connection

        call_command("collectstatic", interactive=False, verbosity=0)
        teams = people()
        last_day = datetime(2026, 6, 30, tzinfo=UTC)
        week_start = datetime(2026, 6, 22, tzinfo=UTC)  # a Monday in the last week
        for months in args.months:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM agents_agentstateevent")
                cursor.execute("DELETE FROM scheduling_shiftactivity")
                cursor.execute("DELETE FROM scheduling_shift")
            shifts = generate(last_day - timedelta(days=30 * months), last_day)
            figures = measure(teams[0], week_start)
            rows.append((months, shifts, figures))
            print(months, shifts, {k: round(v, 1) for k, v in figures.items()}, flush=True)
        print(
            f"\nPostgreSQL, {os.cpu_count()} cores, {AGENTS} agents in {TEAMS} teams (30 a team)\n"
        )
        print("| history | shifts | week's shifts, bare SQL (ms) | week grid (ms) | roster (ms) | "
              "adherence now (ms) | /api/v1/schedules/ team week (ms) | rollup after a shift moves (ms) | "
              "one day re-rolled (ms) |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for months, shifts, f in rows:
            print(f"| {months} month(s) | {shifts:,} | {f['reference']:.1f} | {f['grid']:.0f} | "
                  f"{f['roster']:.0f} | {f['adherence']:.0f} | {f['api']:.0f} | {f['rollup']:.0f} | "
                  f"{f['one_day']:.0f} |")  # fmt: skip
    finally:
        drop_bench_database()


if __name__ == "__main__":
    main()
