"""Forecast runs: learn each queue's history, backtest the methods, choose one (or take
the pinned one), forecast, and replace the stored forecast of the range.

A run works queue by queue, each in its own transaction that holds the queue's
QueueForecastSetting row: two runs of the same queue serialise, and a reader sees a
queue's old forecast or its new one, never a mix.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.jobs import JobStatus
from core.localtime import local_days, local_today
from forecasting import methods
from forecasting.history import interval_grid, load_history
from forecasting.models import (
    BacktestScore,
    Forecast,
    ForecastDay,
    ForecastRun,
    QueueForecastSetting,
    SpecialDay,
    SpecialDayKind,
    Trigger,
)
from interactions.models import Queue

logger = logging.getLogger(__name__)

MAX_WEEKS = 6


class ForecastError(ValueError):
    """A run asked for something that cannot be forecast (named in the message)."""


@dataclass(frozen=True)
class QueueForecast:
    """What one queue's run produced, before it is stored."""

    method: str
    chosen: str
    prediction: methods.Prediction
    scores: list[methods.Score]
    special: dict[date, tuple[str, str]]  # day -> (kind, reason)
    history_days: int


def history_days() -> int:
    return int(getattr(settings, "FORECAST_HISTORY_DAYS", 210))


def _check(start: date, weeks: int):
    if not 1 <= weeks <= MAX_WEEKS:
        raise ForecastError(f"weeks must be between 1 and {MAX_WEEKS}, not {weeks}.")
    if start is None:
        raise ForecastError("start is required.")


def create_run(
    *,
    trigger: str,
    start: date | None = None,
    weeks: int = MAX_WEEKS,
    queue: Queue | None = None,
    user=None,
) -> ForecastRun:
    """A queued run of `weeks` weeks from `start` (default tomorrow, local)."""
    start = start or local_today() + timedelta(days=1)
    _check(start, weeks)
    return ForecastRun.objects.create(
        trigger=trigger, start=start, weeks=weeks, queue=queue, requested_by=user
    )


def request_run(
    *, user, queue: Queue | None = None, start: date | None = None, weeks: int = MAX_WEEKS
) -> ForecastRun:
    """The "Forecast now" button: a queued run on the worker. A second click while the
    same run is still pending answers that run instead of queueing another."""
    from forecasting.tasks import run_forecast

    with transaction.atomic():
        pending = (
            ForecastRun.objects.select_for_update()
            .filter(status__in=(JobStatus.QUEUED, JobStatus.RUNNING), queue=queue)
            .first()
        )
        if pending and not pending.fail_if_stale():
            return pending
        run = create_run(trigger=Trigger.BUTTON, start=start, weeks=weeks, queue=queue, user=user)
        transaction.on_commit(lambda: run_forecast.delay(run.pk))
    return run


def forecast_contacts(
    *,
    start: date | None = None,
    weeks: int = MAX_WEEKS,
    queue: Queue | None = None,
    trigger: str = Trigger.COMMAND,
    user=None,
) -> ForecastRun:
    """Run a forecast now, in this process (the command and the nightly task)."""
    run = create_run(trigger=trigger, start=start, weeks=weeks, queue=queue, user=user)
    execute_run(run.pk)
    run.refresh_from_db()
    return run


def execute_run(run_id: int) -> None:
    """Do a queued run. A failure marks the run failed with its reason and stops."""
    run = ForecastRun.objects.get(pk=run_id)
    if run.status != JobStatus.QUEUED:
        return  # a retry of a run already started or done: nothing to do twice
    queues = [run.queue] if run.queue_id else list(Queue.objects.filter(active=True))
    ForecastRun.objects.filter(pk=run.pk).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        queues_total=len(queues),
    )
    try:
        histories = load_history(queues, run.start, history_days())
        summary = []
        for done, queue in enumerate(queues, start=1):
            made = forecast_queue(queue, histories[queue.pk], run.start, run.weeks * 7)
            store(run, queue, made)
            summary.append(
                {
                    "queue": queue.name,
                    "method": made.method,
                    "chosen": made.chosen,
                    "history_days": made.history_days,
                    "note": made.prediction.note,
                }
            )
            ForecastRun.objects.filter(pk=run.pk).update(
                queues_done=done, heartbeat_at=timezone.now(), summary=summary
            )
    except Exception as error:
        logger.exception("forecast run %s failed", run.pk)
        ForecastRun.objects.filter(pk=run.pk).update(
            status=JobStatus.FAILED,
            error=str(error) or type(error).__name__,
            finished_at=timezone.now(),
        )
        raise
    ForecastRun.objects.filter(pk=run.pk).update(status=JobStatus.DONE, finished_at=timezone.now())


def forecast_queue(queue: Queue, history: methods.History, start: date, days: int) -> QueueForecast:
    """Backtest, choose (unless pinned), forecast; closed special days forecast 0."""
    setting = QueueForecastSetting.objects.filter(queue=queue).first()
    scores = methods.backtest(history, origins=backtest_origins())
    chosen = methods.choose(scores)
    method = (setting.pinned_method if setting else "") or chosen
    prediction = methods.forecast(history, start, days, method)
    special = {
        day: (kind, reason)
        for day, kind, reason in SpecialDay.objects.for_queue(queue)
        .filter(date__range=(start, start + timedelta(days=days - 1)))
        .values_list("date", "kind", "reason")
    }
    closed = [
        (day - start).days for day, (kind, _) in special.items() if kind == SpecialDayKind.CLOSED
    ]
    if closed:
        prediction = _closed(prediction, closed)
    known = int(np.count_nonzero(~np.isnan(history.day_offered)))
    return QueueForecast(method, chosen, prediction, scores, special, known)


def backtest_origins() -> int:
    return int(getattr(settings, "FORECAST_BACKTEST_ORIGINS", 4))


def _closed(prediction: methods.Prediction, days: list[int]) -> methods.Prediction:
    contacts = prediction.contacts.copy()
    contacts[days] = 0.0
    zero = {
        "day_contacts": prediction.day_contacts,
        "day_lower": prediction.day_lower,
        "day_upper": prediction.day_upper,
    }
    zero = {name: values.copy() for name, values in zero.items()}
    for values in zero.values():
        values[days] = 0.0
    aht = prediction.aht_seconds.copy()
    aht[days] = np.nan
    return methods.Prediction(
        method=prediction.method,
        contacts=contacts,
        aht_seconds=aht,
        note=prediction.note,
        **zero,
    )


def _float_or_none(value) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def store(run: ForecastRun, queue: Queue, made: QueueForecast) -> None:
    """Replace the queue's stored forecast of the run's range with `made`, atomically."""
    days = len(made.prediction.day_contacts)
    begin, end = local_days(run.start, days)
    starts, day_index, slots = interval_grid(run.start, days)
    contacts = made.prediction.contacts[day_index, slots]
    aht = made.prediction.aht_seconds[day_index]
    method = made.prediction.method
    reasons = [
        made.special.get(run.start + timedelta(days=int(n)), (None, None))[1] for n in range(days)
    ]
    interval_rows = [
        Forecast(
            queue=queue,
            start=datetime.fromtimestamp(int(at), tz=UTC),
            contacts=float(count),
            aht_seconds=_float_or_none(handle) if count > 0 else None,
            method=method,
            special=reasons[int(day)],
            run=run,
        )
        for at, count, handle, day in zip(starts, contacts, aht, day_index, strict=True)
    ]
    day_rows = [
        ForecastDay(
            queue=queue,
            day=run.start + timedelta(days=n),
            contacts=float(made.prediction.day_contacts[n]),
            lower=float(made.prediction.day_lower[n]),
            upper=float(made.prediction.day_upper[n]),
            aht_seconds=_float_or_none(made.prediction.aht_seconds[n])
            if made.prediction.day_contacts[n] > 0
            else None,
            method=method,
            special=reasons[n],
            run=run,
        )
        for n in range(days)
    ]
    score_rows = [
        BacktestScore(
            run=run,
            queue=queue,
            method=score.method,
            grain=score.grain,
            wape=score.wape,
            bias=score.bias,
            origins=score.origins,
            actual=score.actual,
            chosen=score.method == made.chosen,
        )
        for score in made.scores
    ]
    with transaction.atomic():
        setting, _ = QueueForecastSetting.objects.select_for_update().get_or_create(queue=queue)
        Forecast.objects.filter(queue=queue, start__gte=begin, start__lt=end).delete()
        ForecastDay.objects.filter(
            queue=queue, day__range=(run.start, run.start + timedelta(days=days - 1))
        ).delete()
        Forecast.objects.bulk_create(interval_rows, batch_size=2000)
        ForecastDay.objects.bulk_create(day_rows)
        BacktestScore.objects.bulk_create(score_rows)
        setting.chosen_method = made.chosen
        setting.chosen_at = timezone.now()
        setting.save(update_fields=["chosen_method", "chosen_at"])
