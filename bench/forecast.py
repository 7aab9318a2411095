"""Forecast benchmark: 20 queues x 6 weeks from a year of history, the time per method,
and the forecasts API for a week at 15 minutes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/contactcenter python bench/forecast.py

On its own database (<name>_bench, created and dropped here). A year of 15-minute rollup
rows (three teams per queue and interval, as the rollup stores them) is generated in
SQL. The run is timed end to end as `forecast_contacts` does it, beside the bare SQL
read of the same history (the reference for the history load); then each method's
backtest and forecast are timed alone on every queue. The API is timed beside the bare
SQL read of the week's rows. A Markdown table is printed for docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import create_bench_database, drop_bench_database  # noqa: E402 (after the path above)

QUEUES, TEAMS_PER_QUEUE = 20, 3


def generate(first_day: date, last_day: date) -> int:
    """A year of rollup rows: open 08:00-20:00 UTC, weekday and midday shapes, 2 % growth
    a month, noise; three team rows per (queue, interval). Returns the row count."""
    from django.db import connection

    from interactions.models import Queue

    for n in range(QUEUES):  # save() fills the channel's default thresholds
        Queue.objects.create(name=f"Queue {n:02d}", channel="voice")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO kpis_contactinterval (interval_start, queue_id, team_id, agent_id, channel,
                offered, answered, answered_in_sl, abandoned, short_abandoned, callbacks,
                wait_answered_sum, handled, talk_sum, hold_sum, wrap_sum, transferred,
                fcr_eligible, fcr_resolved, csat_responses, csat_positive, nps_responses,
                promoters, detractors, outbound_handled)
            SELECT t, q.id, team, NULL, 'voice', v, v, v, 0, 0, 0, 0, v, v * 280, 0, v * 30,
                0, 0, 0, 0, 0, 0, 0, 0, 0
            FROM interactions_queue q,
                generate_series(%s::timestamptz, %s::timestamptz, interval '15 minutes') t,
                generate_series(1, %s) team,
                LATERAL (SELECT floor(
                    (2 + q.id %% 5) * (CASE extract(isodow FROM t) WHEN 6 THEN 0.5 WHEN 7 THEN 0.3
                        ELSE 1.2 - 0.05 * extract(isodow FROM t) END)
                    * (1 + 0.6 * exp(-power((extract(hour FROM t) - 12.5) / 2.5, 2)))
                    * (1 + 0.02 * extract(epoch FROM t - %s::timestamptz) / (30 * 86400))
                    * (0.8 + 0.4 * random()) + random())::int AS v) volume
            WHERE extract(hour FROM t) BETWEEN 8 AND 19
            """,
            [first_day, last_day, TEAMS_PER_QUEUE, first_day],
        )
        rows = cursor.rowcount
        cursor.execute("ANALYZE")
    return rows


def median_ms(function, repeat=7) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="days of history (default 365)")
    args = parser.parse_args()
    try:
        create_bench_database()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client

        from forecasting import methods, services
        from forecasting.history import load_history
        from interactions.models import Queue

        start = date(2026, 7, 6)  # a Monday
        rows = generate(start - timedelta(days=args.days), start - timedelta(minutes=15))
        print(f"{rows:,} rollup rows of history", flush=True)
        queues = list(Queue.objects.all())
        history_days = settings.FORECAST_HISTORY_DAYS

        def reference():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT queue_id, interval_start, sum(offered), sum(handled), "
                    "sum(talk_sum + hold_sum + wrap_sum) FROM kpis_contactinterval "
                    "WHERE interval_start >= %s AND interval_start < %s "
                    "GROUP BY queue_id, interval_start",
                    [start - timedelta(days=history_days), start],
                )
                cursor.fetchall()

        figures = {"reference": median_ms(reference, repeat=3)}
        started = time.perf_counter()
        histories = load_history(queues, start, history_days)
        figures["history"] = (time.perf_counter() - started) * 1000
        per_method = {}
        for method in methods.METHODS:
            started = time.perf_counter()
            for queue in queues:
                methods.backtest(histories[queue.pk], methods=(method,))
            backtest = time.perf_counter() - started
            started = time.perf_counter()
            for queue in queues:
                methods.forecast(histories[queue.pk], start, 42, method)
            per_method[method] = (backtest, time.perf_counter() - started)
            print(method, per_method[method], flush=True)
        started = time.perf_counter()
        run = services.forecast_contacts(start=start, weeks=6)
        figures["run"] = time.perf_counter() - started
        assert run.status == "done", run.error

        user = get_user_model().objects.create(
            username="bench-manager", is_staff=True, is_superuser=True
        )
        client = Client()
        client.force_login(user)
        week = f"queue=Queue%2000&start={start}&end={start + timedelta(days=6)}"

        def api():
            response = client.get(f"/api/v1/forecasts/?{week}&page_size=1000")
            assert response.status_code == 200, response.content[:200]

        def api_reference():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT f.start, f.contacts, f.aht_seconds, f.method, f.special "
                    "FROM forecasting_forecast f WHERE f.queue_id = %s "
                    "AND f.start >= %s AND f.start < %s ORDER BY f.start",
                    [queues[0].pk, start, start + timedelta(days=7)],
                )
                cursor.fetchall()

        figures["api"] = median_ms(api)
        figures["api_reference"] = median_ms(api_reference)

        print(f"\nPostgreSQL, {os.cpu_count()} cores, {QUEUES} queues, {args.days} days of "
              f"history ({rows:,} rollup rows), {history_days} days read per run\n")  # fmt: skip
        print("| step | time | reference (same run) |")
        print("|---|---:|---:|")
        print(f"| history load, {QUEUES} queues | {figures['history']:.0f} ms | "
              f"bare GROUP BY {figures['reference']:.0f} ms |")  # fmt: skip
        for method, (backtest, forecast) in per_method.items():
            print(f"| {method}: backtest, {QUEUES} queues | {backtest:.2f} s | |")
            print(f"| {method}: 6-week forecast, {QUEUES} queues | {forecast:.2f} s | |")
        print(f"| `forecast_contacts`, {QUEUES} queues x 6 weeks (all methods backtested, "
              f"stored) | {figures['run']:.1f} s | |")  # fmt: skip
        print(f"| `GET /api/v1/forecasts/`, a week at 15 minutes | {figures['api']:.1f} ms | "
              f"bare SELECT {figures['api_reference']:.1f} ms |")  # fmt: skip
    finally:
        drop_bench_database()


if __name__ == "__main__":
    main()
