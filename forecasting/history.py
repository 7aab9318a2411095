"""The history a forecast learns from: each queue's KPI rollups laid onto local days and
local clock slots (forecasting.methods.History).

Rollups are stored per 15-minute UTC interval. A forecast thinks in local time (the 10:00
interval is 10:00 after a DST change too), so every UTC interval of the range is placed
once on its (local day, clock slot). A fall-back day has two intervals per 01:xx slot:
the slot holds their mean (the rate at that clock time) while the day total keeps both;
a spring-forward day has no 02:xx intervals: those slots are NaN (unknown, not zero).
"""

from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db.models import F, Sum

from core.localtime import local_days, local_today, zone
from forecasting.methods import SLOTS, History
from forecasting.models import SpecialDay
from kpis.models import ContactInterval

INTERVAL_SECONDS = 900


def interval_grid(first_day: date, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every 15-minute interval of `days` local days from `first_day`: its UTC start
    (epoch seconds), its local day index and its local clock slot."""
    begin, end = local_days(first_day, days)
    starts = np.arange(int(begin.timestamp()), int(end.timestamp()), INTERVAL_SECONDS)
    local = pd.DatetimeIndex(starts * 1_000_000_000).tz_localize("UTC").tz_convert(str(zone()))
    day_index = (
        local.normalize().tz_localize(None).values.astype("datetime64[D]")
        - np.datetime64(first_day, "D")
    ).astype(int)
    slots = (local.hour * 4 + local.minute // 15).to_numpy()
    return starts, day_index, slots


def excluded_days(queue, first_day: date, last_day: date) -> dict[date, str]:
    """The queue's special days in the range (closed or unusual): left out of history."""
    rows = (
        SpecialDay.objects.for_queue(queue)
        .filter(date__range=(first_day, last_day))
        .values_list("date", "reason")
    )
    return dict(rows)


def load_history(queues, before: date, days: int) -> dict[int, History]:
    """Each queue's history of the `days` local days before `before`: one SQL query sums
    the rollups per (queue, UTC interval); numpy places them on local days and slots.
    Days before a queue's first contact, special days and days not over yet (today and
    later) are missing (NaN), never zero: zero would teach the forecast a closed day."""
    queues = list(queues)
    first_day = before - timedelta(days=days)
    starts, day_index, slots = interval_grid(first_day, days)
    begin, end = local_days(first_day, days)
    sums = (
        ContactInterval.objects.filter(
            queue__in=queues, interval_start__gte=begin, interval_start__lt=end
        )
        .values("queue_id", "interval_start")
        .annotate(
            offered_sum=Sum("offered"),
            handled_sum=Sum("handled"),
            handle_sum=Sum(F("talk_sum") + F("hold_sum") + F("wrap_sum")),
        )
        .values_list("queue_id", "interval_start", "offered_sum", "handled_sum", "handle_sum")
    )
    frame = pd.DataFrame.from_records(
        list(sums), columns=["queue", "start", "offered", "handled", "handle"]
    )
    if len(frame):
        # as_unit: pandas may keep datetimes at micro- or nanoseconds; seconds either way.
        epoch = pd.to_datetime(frame["start"], utc=True).dt.as_unit("s").astype("int64")
        position = ((epoch.to_numpy() - starts[0]) // INTERVAL_SECONDS).astype(int)
    else:
        position = np.zeros(0, dtype=int)

    # How many real intervals each (day, slot) has: 2 for a fall-back 01:xx, 0 for a
    # spring-forward 02:xx, else 1.
    per_slot = np.zeros((days, SLOTS))
    np.add.at(per_slot, (day_index, slots), 1)
    done_days = np.arange(days) < (local_today() - first_day).days

    histories = {}
    for queue in queues:
        mine = (frame["queue"] == queue.pk).to_numpy() if len(frame) else position.astype(bool)
        grid = {name: np.zeros(len(starts)) for name in ("offered", "handled", "handle")}
        for name, values in grid.items():
            np.add.at(values, position[mine], frame[name].to_numpy(dtype=float)[mine])
        offered = np.zeros((days, SLOTS))
        np.add.at(offered, (day_index, slots), grid["offered"])
        with np.errstate(invalid="ignore", divide="ignore"):
            offered = np.where(per_slot > 0, offered / per_slot, np.nan)
        day_totals = {
            name: np.bincount(day_index, weights=values, minlength=days)
            for name, values in grid.items()
        }

        missing = ~done_days
        active = np.flatnonzero(day_totals["offered"] > 0)
        missing[: active[0] if len(active) else days] = True
        special = excluded_days(queue, first_day, before - timedelta(days=1))
        for day in special:
            missing[(day - first_day).days] = True
        offered[missing] = np.nan
        for values in day_totals.values():
            values[missing] = np.nan
        histories[queue.pk] = History(
            first_day=first_day,
            offered=offered,
            day_offered=day_totals["offered"],
            day_handled=day_totals["handled"],
            day_handle_seconds=day_totals["handle"],
        )
    return histories
