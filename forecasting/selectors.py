"""Reads of the stored forecasts: every local interval of a run of local days, for one
queue or the sum of several (a queue group), at 15, 30 or 60 minutes.

Forecasts are stored per queue and 15-minute interval with a UTC start. One SQL query
reads them (summed per start in SQL when there are several queues); numpy lays them
onto the full grid of the range's 15-minute intervals, so an interval without a stored
forecast answers 0 contacts. Longer intervals group the 15-minute ones by local clock
time and UTC offset: a fall-back day has two 01:00 hours (at their two offsets), a
spring-forward day none at 02:00; the 10:00 interval is 10:00 local after a DST change.
"""

from datetime import UTC, date, timedelta

import numpy as np
from django.db.models import F, Max, Min, Q, Sum

from core.localtime import local_days, zone
from forecasting.history import INTERVAL_SECONDS
from forecasting.models import Forecast

INTERVALS = (15, 30, 60)


def _grid(first_day: date, last_day: date):
    """The UTC start of every 15-minute interval of the local days, and its local time.

    The bounds are compared in UTC: two aware datetimes of the same zone subtract as
    wall clocks, which would lose or add an hour across a DST change."""
    begin, end = local_days(first_day, (last_day - first_day).days + 1)
    begin, end = begin.astimezone(UTC), end.astimezone(UTC)
    seconds = int((end - begin).total_seconds())
    count = -(-seconds // INTERVAL_SECONDS)  # a day of an odd historical offset: round up
    step = timedelta(seconds=INTERVAL_SECONDS)
    center = zone()
    local = [(begin + k * step).astimezone(center) for k in range(count)]
    return begin, end, local


def _buckets(local: list, minutes: int) -> list[int]:
    """The index of the first 15-minute interval of each longer interval: consecutive
    intervals with the same local date, clock interval and UTC offset go together."""
    if minutes == 15:
        return list(range(len(local)))
    firsts, previous = [], None
    for k, moment in enumerate(local):
        key = (moment.date(), moment.hour, moment.minute // minutes, moment.utcoffset())
        if key != previous:
            firsts.append(k)
            previous = key
    return firsts


def _stored(queues: list, begin, end):
    """(start, contacts, weight, weighted, aht, method, special) per stored start: one
    query. weight is the contacts whose AHT is known, weighted their contacts * AHT; aht
    is the stored value itself (one queue) so that a 15-minute row answers it unchanged."""
    rows = Forecast.objects.filter(start__gte=begin, start__lt=end)
    if len(queues) == 1:
        for start, contacts, aht, method, special in rows.filter(queue=queues[0]).values_list(
            "start", "contacts", "aht_seconds", "method", "special"
        ):
            known = aht is not None
            yield (
                start,
                contacts,
                contacts if known else 0.0,
                contacts * aht if known else 0.0,
                aht,
                method,
                special,
            )
        return
    sums = (
        rows.filter(queue__in=queues)
        .values("start")
        .annotate(
            total=Sum("contacts"),
            weight=Sum("contacts", filter=Q(aht_seconds__isnull=False)),
            weighted=Sum(F("contacts") * F("aht_seconds")),
            method_low=Min("method"),
            method_high=Max("method"),
            special_low=Min("special"),
            special_high=Max("special"),
        )
        .order_by()
        .values_list(
            "start",
            "total",
            "weight",
            "weighted",
            "method_low",
            "method_high",
            "special_low",
            "special_high",
        )
    )
    for start, total, weight, weighted, m_low, m_high, s_low, s_high in sums:
        special = s_low if s_low == s_high else f"{s_low}; {s_high}"
        method = m_low if m_low == m_high else None
        yield start, total, weight or 0.0, weighted or 0.0, None, method, special


def _common(values: list):
    """The one value the intervals share (None ignored), else None."""
    found = {value for value in values if value is not None}
    return found.pop() if len(found) == 1 else None


def interval_rows(
    queues, first_day: date, last_day: date, minutes: int = 15, label: str | None = None
) -> list[dict]:
    """Every local interval of the local days first_day..last_day (inclusive), in time
    order, for one queue or the sum of several: `start` (aware, the center's zone),
    `queue` (label, else the queue names), `contacts` (float, 0 where nothing is
    stored), `aht_seconds` (weighted by contacts; None where no contacts are expected),
    `method` (None where nothing is stored or the queues' methods differ) and `special`
    (the special day's reason, or None)."""
    if minutes not in INTERVALS:
        raise ValueError(f"minutes must be one of {INTERVALS}, not {minutes!r}.")
    queues = list(queues)
    if label is None:
        label = ", ".join(queue.name for queue in queues)
    begin, end, local = _grid(first_day, last_day)
    count = len(local)
    contacts, weight, weighted = np.zeros(count), np.zeros(count), np.zeros(count)
    aht: list = [None] * count
    method: list = [None] * count
    special: list = [None] * count
    if queues:
        origin = begin.timestamp()
        for start, total, known, product, stored_aht, row_method, row_special in _stored(
            queues, begin, end
        ):
            k = int((start.timestamp() - origin) // INTERVAL_SECONDS)
            contacts[k] += total
            weight[k] += known
            weighted[k] += product
            aht[k], method[k], special[k] = stored_aht, row_method, row_special

    firsts = _buckets(local, minutes)
    if minutes == 15:
        sums = contacts.tolist()
        ahts = [
            None if not total else (stored if stored is not None else (mass / w if w else None))
            for total, stored, mass, w in zip(
                sums, aht, weighted.tolist(), weight.tolist(), strict=True
            )
        ]
        return [
            {
                "start": local[k],
                "queue": label,
                "contacts": sums[k],
                "aht_seconds": ahts[k],
                "method": method[k],
                "special": special[k],
            }
            for k in range(count)
        ]

    sums = np.add.reduceat(contacts, firsts).tolist() if count else []
    weights = np.add.reduceat(weight, firsts).tolist() if count else []
    masses = np.add.reduceat(weighted, firsts).tolist() if count else []
    bounds = [*firsts[1:], count]
    return [
        {
            "start": local[first],
            "queue": label,
            "contacts": total,
            "aht_seconds": mass / w if total and w else None,
            "method": _common(method[first:stop]),
            "special": _common(special[first:stop]),
        }
        for first, stop, total, w, mass in zip(firsts, bounds, sums, weights, masses, strict=True)
    ]
