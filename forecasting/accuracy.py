"""How the stored forecasts did: forecast against actual offered contacts, per queue and
local day, at the two grains of the spec (15-minute intervals and days), and the backtest
scores of the runs over time.

One definition of accuracy (docs: ../shared/spec/staffing.md "Forecasts"): WAPE = sum
|forecast - actual| / sum actual and bias = sum (forecast - actual) / sum actual over the
rows compared. The database sums the rows: the interval grain joins each stored Forecast
with the offered contacts of its queue and UTC interval (kpis.ContactInterval, summed over
teams, agents and channels) and adds |f - a| up per queue and local day; the day grain
joins ForecastDay with kpis.ContactDay the same way. Sums add up, so a week's or a
range's WAPE is the ratio of its days' sums, exactly.
"""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import F, FloatField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Abs, Coalesce, TruncDate

from core.localtime import local_days, monday_of, zone
from forecasting.models import BacktestScore, Forecast, ForecastDay, Grain, Method
from kpis.models import ContactDay, ContactInterval


def ratio(part, whole):
    """part / whole, None when there is nothing to divide by (no actual contacts)."""
    return part / whole if whole else None


def _offered(rows, **match):
    """The offered contacts of the rollup rows matching the outer row, summed."""
    total = (
        rows.filter(**{name: OuterRef(outer) for name, outer in match.items()})
        .order_by()
        .values(*match)
        .annotate(total=Sum("offered"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=FloatField()), Value(0.0))


def interval_sums(queues, first_day: date, last_day: date) -> dict:
    """{(queue id, local day): {"forecast", "actual", "abs_error", "error"}} over the
    stored 15-minute forecasts of the days: one query."""
    begin, end = local_days(first_day, (last_day - first_day).days + 1)
    rows = (
        Forecast.objects.filter(queue__in=queues, start__gte=begin, start__lt=end)
        .annotate(
            actual=_offered(ContactInterval.objects.all(), queue="queue", interval_start="start")
        )
        .annotate(day=TruncDate("start", tzinfo=zone()))
        .values("queue", "day")
        .annotate(
            forecast_sum=Sum("contacts"),
            actual_sum=Sum("actual"),
            abs_error=Sum(Abs(F("contacts") - F("actual"))),
        )
        .order_by()
    )
    return {
        (row["queue"], row["day"]): {
            "forecast": row["forecast_sum"],
            "actual": row["actual_sum"],
            "abs_error": row["abs_error"],
            "error": row["forecast_sum"] - row["actual_sum"],
        }
        for row in rows
    }


def day_rows(queues, first_day: date, last_day: date) -> dict:
    """{(queue id, day): {"forecast", "actual", "abs_error", "error"}}: each stored day's
    forecast against the day's offered contacts (kpis.ContactDay): one query."""
    rows = (
        ForecastDay.objects.filter(queue__in=queues, day__range=(first_day, last_day))
        .annotate(actual=_offered(ContactDay.objects.all(), queue="queue", day="day"))
        .values("queue", "day", "contacts", "actual")
    )
    return {
        (row["queue"], row["day"]): {
            "forecast": row["contacts"],
            "actual": row["actual"],
            "abs_error": abs(row["contacts"] - row["actual"]),
            "error": row["contacts"] - row["actual"],
        }
        for row in rows
    }


def _scores(sums: list[dict]) -> dict:
    actual = sum(row["actual"] for row in sums)
    return {
        "forecast": sum(row["forecast"] for row in sums),
        "actual": actual,
        "wape": ratio(sum(row["abs_error"] for row in sums), actual),
        "bias": ratio(sum(row["error"] for row in sums), actual),
    }


def accuracy(queues, first_day: date, last_day: date) -> list[dict]:
    """Per queue (in the order given) the days with a stored forecast in the range, each
    with its forecast and actual and its WAPE and bias at both grains, the same per ISO
    week (the trend), and over the whole range. Two queries."""
    queues = list(queues)
    intervals = interval_sums(queues, first_day, last_day)
    days = day_rows(queues, first_day, last_day)
    result = []
    for queue in queues:
        keys = sorted(day for queue_id, day in days if queue_id == queue.pk)
        rows, weeks = [], defaultdict(lambda: {"interval": [], "day": []})
        for day in keys:
            by_day = days[(queue.pk, day)]
            by_interval = intervals.get((queue.pk, day))
            rows.append({
                "day": day,
                "forecast": by_day["forecast"],
                "actual": by_day["actual"],
                "day_error": by_day["error"],
                "day_ape": ratio(by_day["abs_error"], by_day["actual"]),
                "interval_wape": ratio(by_interval["abs_error"], by_interval["actual"])
                if by_interval else None,
                "interval_bias": ratio(by_interval["error"], by_interval["actual"])
                if by_interval else None,
            })  # fmt: skip
            week = weeks[monday_of(day)]
            week["day"].append(by_day)
            if by_interval:
                week["interval"].append(by_interval)
        trend = [
            {"week": monday, "interval": _scores(week["interval"]), "day": _scores(week["day"])}
            for monday, week in sorted(weeks.items())
        ]
        every_interval = [
            sums for (queue_id, _day), sums in intervals.items() if queue_id == queue.pk
        ]
        result.append({
            "queue": queue,
            "days": rows,
            "weeks": trend,
            "interval": _scores(every_interval),
            "day": _scores([days[(queue.pk, day)] for day in keys]),
        })  # fmt: skip
    return result


def backtest_scores(queues, runs: int = 20) -> list[dict]:
    """The backtest scores of the queues' last `runs` runs (both grains), newest run
    first: one query. The newest run of each queue is its backtest table; the rest, the
    methods' WAPE over time."""
    limit = runs * len(queues) * len(Method.choices) * len(Grain.choices)
    return list(
        BacktestScore.objects.filter(queue__in=queues)
        .order_by("-run__created_at", "-run_id", "queue", "method", "grain")
        .values(
            "run_id", "run__created_at", "queue", "method", "grain", "wape", "bias", "origins",
            "chosen",
        )[:limit]
    )  # fmt: skip


def window(today: date, weeks: int = 8) -> tuple[date, date]:
    """The past days the page compares: the last `weeks` weeks up to yesterday."""
    return today - timedelta(days=7 * weeks), today - timedelta(days=1)
