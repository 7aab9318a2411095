"""Forecast runs through the real path: rollup rows in, `forecast_contacts`, stored rows
out (forecasting.history, services, the command, the task on a real worker)."""

import time as time_module
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from forecasting import services
from forecasting.models import (
    BacktestScore,
    Forecast,
    ForecastDay,
    ForecastRun,
    Method,
    QueueForecastSetting,
    SpecialDay,
    SpecialDayKind,
)
from interactions.models import Queue
from kpis.models import ContactInterval

pytestmark = pytest.mark.django_db

ZONE = "America/New_York"
# Weekday factors (Mon..Sun) and the intraday shape: open 08:00-20:00 local, a midday peak.
WEEKDAY = np.array([1.25, 1.1, 1.05, 1.0, 0.95, 0.55, 0.35])
SLOTS = np.arange(96)
OPEN = (SLOTS >= 32) & (SLOTS < 80)
SHAPE = np.where(OPEN, 1.0 + 0.8 * np.exp(-(((SLOTS - 50) / 10.0) ** 2)), 0.0)
SHAPE = SHAPE / SHAPE.sum()


def true_rate(first_day: date, days: int, *, per_day=3000.0, growth=0.03):
    """The exact expected arrivals per (day, local slot) and the true AHT per day."""
    index = np.arange(days)
    weekday = np.array([(first_day + timedelta(days=int(n))).weekday() for n in index])
    level = per_day * WEEKDAY[weekday] * (1 + growth) ** (index / 7)
    aht = 300.0 + 0.5 * index
    return level[:, None] * SHAPE[None, :], aht


def seed_history(queue, first_day: date, days: int, seed=7, **rate):
    """ContactInterval rows (what the rollup stores) drawn from the true rate, one per
    real local interval: a spring-forward day has no 02:xx rows."""
    rates, aht = true_rate(first_day, days, **rate)
    rng = np.random.default_rng(seed)
    zone = ZoneInfo(ZONE)
    rows = []
    for n in range(days):
        day = first_day + timedelta(days=n)
        for slot in np.flatnonzero(rates[n] > 0):
            local = datetime.combine(day, time(int(slot) // 4, int(slot) % 4 * 15), tzinfo=zone)
            offered = int(rng.poisson(rates[n, slot]))
            if not offered:
                continue
            rows.append(
                ContactInterval(
                    interval_start=local.astimezone(ZoneInfo("UTC")),
                    queue=queue,
                    channel="voice",
                    offered=offered,
                    handled=offered,
                    talk_sum=offered * aht[n] * rng.normal(1, 0.02),
                )
            )
    ContactInterval.objects.bulk_create(rows, batch_size=5000)


def stored(queue, first_day: date, days: int) -> np.ndarray:
    """The stored forecast as (day, local slot), from the rows' local clock times."""
    zone = ZoneInfo(ZONE)
    grid = np.zeros((days, 96))
    for start, contacts in Forecast.objects.filter(queue=queue).values_list("start", "contacts"):
        local = start.astimezone(zone)
        n = (local.date() - first_day).days
        if 0 <= n < days:
            grid[n, local.hour * 4 + local.minute // 15] = contacts
    return grid


def hourly_wape(forecast, truth):
    f = forecast.reshape(len(forecast), 24, 4).sum(axis=2)
    t = truth.reshape(len(truth), 24, 4).sum(axis=2)
    return np.abs(f - t).sum() / t.sum()


def daily_wape(forecast, truth):
    return np.abs(forecast.sum(axis=1) - truth.sum(axis=1)).sum() / truth.sum()


@pytest.fixture
def new_york(settings):
    settings.TIME_ZONE = ZONE


# Eight weeks of history crossing the spring-forward change (2026-03-08), forecast the week
# after.
HISTORY_FIRST = date(2026, 1, 19)
START = date(2026, 3, 16)
HISTORY_DAYS = (START - HISTORY_FIRST).days


def test_the_forecast_lands_close_to_the_true_rate_and_beats_seasonal_naive(new_york):
    chosen = Queue.objects.create(name="Sales", channel="voice")
    naive = Queue.objects.create(name="Sales naive", channel="voice")
    seed_history(chosen, HISTORY_FIRST, HISTORY_DAYS)
    seed_history(naive, HISTORY_FIRST, HISTORY_DAYS)
    QueueForecastSetting.objects.create(queue=naive, pinned_method=Method.SEASONAL_NAIVE)

    call_command("forecast_contacts", "--start", START.isoformat(), "--weeks", "1")

    truth_all, aht = true_rate(HISTORY_FIRST, HISTORY_DAYS + 7)
    truth, true_aht = truth_all[-7:], aht[-7:]
    ours, baseline = stored(chosen, START, 7), stored(naive, START, 7)
    assert hourly_wape(ours, truth) < 0.07
    assert hourly_wape(ours, truth) <= 0.75 * hourly_wape(baseline, truth)
    assert daily_wape(ours, truth) < 0.035
    assert daily_wape(ours, truth) < daily_wape(baseline, truth)
    days = ForecastDay.objects.filter(queue=chosen).order_by("day")
    forecast_aht = np.array([row.aht_seconds for row in days])
    assert np.all(np.abs(forecast_aht / true_aht - 1) < 0.05)
    # The chosen method is recorded with its scores; the pinned one is used where pinned.
    setting = QueueForecastSetting.objects.get(queue=chosen)
    assert setting.chosen_method and not setting.pinned_method
    assert set(days.values_list("method", flat=True)) == {setting.chosen_method}
    assert set(Forecast.objects.filter(queue=naive).values_list("method", flat=True)) == {
        Method.SEASONAL_NAIVE
    }
    scores = BacktestScore.objects.filter(queue=chosen)
    assert scores.filter(chosen=True, grain="interval").get().method == setting.chosen_method
    assert set(scores.values_list("method", flat=True)) == set(Method.values)


def test_local_intervals_stay_local_across_dst_and_closed_hours_stay_zero(new_york):
    queue = Queue.objects.create(name="Care", channel="voice")
    first = date(2026, 9, 7)
    seed_history(queue, first, 8 * 7, per_day=800)
    start = date(2026, 11, 2) - timedelta(days=1)  # the fall-back Sunday, then a week
    call_command(
        "forecast_contacts", "--start", start.isoformat(), "--weeks", "1", "--queue", "Care"
    )
    zone = ZoneInfo(ZONE)
    rows = list(Forecast.objects.filter(queue=queue).order_by("start"))
    fall_back = [r for r in rows if r.start.astimezone(zone).date() == start]
    assert len(fall_back) == 100  # a 25-hour day
    assert len(rows) == 100 + 6 * 96
    for row in rows:
        local = row.start.astimezone(zone).time()
        if local < time(8) or local >= time(20):
            assert row.contacts == 0 and row.aht_seconds is None
        else:
            assert row.contacts > 0 and row.aht_seconds > 0
    # The 10:00 interval is 10:00 local on both sides of the change, with like volumes.
    monday = [r for r in rows if r.start.astimezone(zone) == datetime(2026, 11, 2, 10, tzinfo=zone)]
    assert len(monday) == 1 and monday[0].start.utcoffset() is not None


def test_special_days_are_left_out_flagged_and_a_closed_day_forecasts_zero(new_york):
    queue = Queue.objects.create(name="Care", channel="voice")
    seed_history(queue, HISTORY_FIRST, HISTORY_DAYS, per_day=1000)
    # An outage day in history with ten times the volume: left out, so it teaches nothing.
    outage = date(2026, 3, 10)
    ContactInterval.objects.create(
        interval_start=datetime(2026, 3, 10, 15, tzinfo=ZoneInfo("UTC")),
        queue=queue,
        channel="voice",
        offered=10_000,
    )
    SpecialDay.objects.create(date=outage, kind=SpecialDayKind.UNUSUAL, reason="Outage")
    holiday = SpecialDay.objects.create(
        date=START + timedelta(days=2), kind=SpecialDayKind.CLOSED, reason="Holiday"
    )
    holiday.queues.add(queue)
    SpecialDay.objects.create(
        date=START + timedelta(days=3), kind=SpecialDayKind.UNUSUAL, reason="Campaign"
    )
    call_command("forecast_contacts", "--start", START.isoformat(), "--weeks", "1")

    days = {row.day: row for row in ForecastDay.objects.filter(queue=queue)}
    closed = days[holiday.date]
    assert (closed.contacts, closed.lower, closed.upper, closed.special) == (0, 0, 0, "Holiday")
    assert days[START + timedelta(days=3)].special == "Campaign"
    assert days[START + timedelta(days=3)].contacts > 0
    assert days[START].special is None
    assert not Forecast.objects.filter(queue=queue, start__date=holiday.date, contacts__gt=0)
    # Without the outage left out, Tuesday's forecast would carry part of the 10,000.
    truth, _ = true_rate(HISTORY_FIRST, HISTORY_DAYS + 7, per_day=1000)
    tuesday = days[START + timedelta(days=1)].contacts
    assert abs(tuesday / truth[-6].sum() - 1) < 0.1


def test_a_run_replaces_its_range_and_keeps_the_days_before_it(new_york):
    queue = Queue.objects.create(name="Care", channel="voice")
    seed_history(queue, HISTORY_FIRST, HISTORY_DAYS, per_day=500)
    services.forecast_contacts(start=START, weeks=2)
    services.forecast_contacts(start=START + timedelta(days=7), weeks=1)
    assert ForecastDay.objects.filter(queue=queue).count() == 14
    assert Forecast.objects.filter(queue=queue).count() == 14 * 96
    assert ForecastRun.objects.filter(status="done").count() == 2
    latest = ForecastRun.objects.first()
    assert set(
        ForecastDay.objects.filter(day__gte=START + timedelta(days=7)).values_list("run", flat=True)
    ) == {latest.pk}


def test_little_or_no_history_falls_back_or_answers_zero_with_a_reason(new_york):
    short = Queue.objects.create(name="New", channel="voice")
    empty = Queue.objects.create(name="Empty", channel="chat")
    seed_history(short, START - timedelta(days=10), 10, per_day=400)
    run = services.forecast_contacts(start=START, weeks=1)
    assert run.status == "done"
    summary = {line["queue"]: line for line in run.summary}
    assert summary["New"]["method"] == Method.SEASONAL_NAIVE
    assert ForecastDay.objects.filter(queue=short, contacts__gt=0).exists()
    assert summary["Empty"]["note"]
    assert not Forecast.objects.filter(queue=empty, contacts__gt=0).exists()
    assert Forecast.objects.filter(queue=empty).count() == 7 * 96


def test_the_command_refuses_bad_input():
    with pytest.raises(CommandError, match="No queue named"):
        call_command("forecast_contacts", "--queue", "Nope")
    with pytest.raises(CommandError, match="weeks"):
        call_command("forecast_contacts", "--weeks", "9")
    with pytest.raises(CommandError, match="--start"):
        call_command("forecast_contacts", "--start", "2026-13-01")


def test_the_nightly_task_forecasts_every_queue_from_tomorrow(settings, new_york):
    from core.localtime import local_today
    from forecasting.tasks import forecast_nightly

    assert (
        settings.CELERY_BEAT_SCHEDULE["forecast-nightly"]["task"]
        == "forecasting.tasks.forecast_nightly"
    )
    queue = Queue.objects.create(name="Care", channel="voice")
    tomorrow = local_today() + timedelta(days=1)
    seed_history(queue, tomorrow - timedelta(days=29), 28, per_day=300)
    run = ForecastRun.objects.get(pk=forecast_nightly())
    assert (run.trigger, run.start, run.weeks, run.status) == ("schedule", tomorrow, 6, "done")
    assert ForecastDay.objects.filter(queue=queue).count() == 42
    assert ForecastDay.objects.filter(queue=queue, contacts__gt=0).exists()


def test_a_failing_run_says_so_and_stops(monkeypatch, new_york):
    Queue.objects.create(name="Care", channel="voice")

    def broken(*args, **kwargs):
        raise ValueError("the engine broke")

    monkeypatch.setattr(services.methods, "forecast", broken)
    with pytest.raises(ValueError):
        services.forecast_contacts(start=START, weeks=1)
    run = ForecastRun.objects.get()
    assert (run.status, run.error) == ("failed", "the engine broke")
    assert run.finished_at and not Forecast.objects.exists()


def test_the_button_queues_one_run_while_one_is_pending(
    manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as sent:
        first = services.request_run(user=manager)
        second = services.request_run(user=manager)
    assert first.pk == second.pk and len(sent) == 1
    assert (first.trigger, first.status, first.requested_by) == ("button", "queued", manager)


@pytest.mark.django_db(transaction=True)
def test_the_button_run_goes_through_a_real_worker(settings, manager):
    from celery.contrib.testing.worker import start_worker

    from contactcenter.celery import app

    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("runs against PostgreSQL and Redis (CI's first run)")
    queue = Queue.objects.create(name="Care", channel="voice")
    seed_history(queue, START - timedelta(days=28), 28, per_day=300)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        run = services.request_run(user=manager, start=START, weeks=1)
        for _ in range(120):
            run.refresh_from_db()
            if run.finished:
                break
            time_module.sleep(0.5)
    assert run.status == "done", run.error
    assert (run.queues_done, run.queues_total, run.percent) == (1, 1, 100)
    assert ForecastDay.objects.filter(queue=queue).count() == 7
