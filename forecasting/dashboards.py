"""Reads for the forecast page: what a queue or a queue group is expected to get, how the
forecasts did, which method makes them and the last run; and the forecast the overview's
intraday chart draws beside the actuals (registered in apps.py).

A group's numbers are the sums of its queues' (its 80 % band too: the sum of the queues'
bounds, wider than the band of the sum would be, as the queues' errors are not perfectly
correlated; a planner reads it as a safe outer bound).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import F, Q, Sum
from django.utils import timezone

from core.localtime import local_days, local_today, monday_of
from forecasting import accuracy
from forecasting.history import INTERVAL_SECONDS
from forecasting.models import (
    ForecastDay,
    ForecastRun,
    Grain,
    Method,
    QueueForecastSetting,
    QueueGroup,
    SpecialDay,
)
from forecasting.selectors import interval_rows
from interactions.models import Queue
from kpis import charts
from kpis.models import ContactDay, ContactInterval
from kpis.selectors import AGENT, TEAM, level_of, served_queues_request

HISTORY_WEEKS = 8
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
METHOD_LABELS = dict(Method.choices)
ACTUAL_COLOUR, FORECAST_COLOUR, AHT_COLOUR = charts.PALETTE[0], charts.PALETTE[1], charts.PALETTE[2]
BAND_FILL = "rgba(230, 159, 0, 0.22)"
SPECIAL_FILL = "rgba(204, 121, 167, 0.16)"


@dataclass
class Selection:
    """What the page forecasts: one queue, or a group of queues summed."""

    kind: str  # "queue" or "group"
    name: str
    queues: list
    errors: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


def options(user) -> tuple[list, list]:
    """The queues and queue groups the user may look at (three queries)."""
    queues = list(Queue.objects.visible_to(user).order_by("name"))
    groups = list(QueueGroup.objects.visible_to(user).prefetch_related("queues"))
    return queues, groups


def select(params, queues: list, groups: list) -> Selection | None:
    """The queue or group asked for (`scope=queue:NAME|group:NAME`, or `queue=`/`group=`),
    else the first queue; None when the user may see no queue."""
    kind, name = "queue", params.get("queue")
    if params.get("group"):
        kind, name = "group", params["group"]
    if params.get("scope"):
        kind, _, name = params["scope"].partition(":")
    errors = []
    if kind == "group":
        group = next((group for group in groups if group.name == name), None)
        if group is not None:
            members = sorted(group.queues.all(), key=lambda queue: queue.name)
            return Selection("group", group.name, members)
        errors.append(f"No queue group {name!r} to show: showing the first queue.")
    elif name:
        queue = next((queue for queue in queues if queue.name == name), None)
        if queue is not None:
            return Selection("queue", queue.name, [queue])
        errors.append(f"No queue {name!r} to show: showing the first queue.")
    if not queues:
        return None
    return Selection("queue", queues[0].name, [queues[0]], errors)


def week_of(params, today: date) -> tuple[date, list]:
    """The Monday of the week asked for (`week=YYYY-MM-DD`, any day of it); next week by
    default."""
    default = monday_of(today) + timedelta(days=7)
    if not params.get("week"):
        return default, []
    try:
        return monday_of(date.fromisoformat(params["week"])), []
    except ValueError:
        return default, ["The week should read YYYY-MM-DD: showing next week."]


# -- the page ------------------------------------------------------------------------------


def page(user, selection: Selection, week: date, today: date | None = None) -> dict:
    """Everything the forecast page shows for a queue or a group and a week."""
    today = today or local_today()
    queues = selection.queues
    first = today - timedelta(weeks=HISTORY_WEEKS)
    history = _history(queues, first, today - timedelta(days=1))
    days = _forecast_days(queues, first)
    specials = _special_days(queues, first, max([week + timedelta(days=6), *days]))
    intervals = interval_rows(queues, week, week + timedelta(days=6), label=selection.name)
    actuals = _interval_actuals(queues, week, today)
    table = weekday_table(intervals, week)
    scores = accuracy.backtest_scores(queues)
    checked = accuracy.accuracy(queues, *accuracy.window(today, HISTORY_WEEKS))
    run = last_run(queues)
    return {
        "has_forecast": bool(days),
        "week_has_forecast": any(row["method"] or row["contacts"] for row in intervals),
        "daily_chart": daily_chart(selection, history, days, specials),
        "intraday_chart": intraday_chart(selection, intervals, actuals),
        "table": table,
        "week_days": [week + timedelta(days=n) for n in range(7)],
        "week_specials": [day for day in specials if week <= day["date"] <= week + timedelta(6)],
        "methods": methods(queues, scores, _settings(queues)),
        "accuracy": checked,
        "accuracy_table": accuracy_table(checked),
        "accuracy_chart": accuracy_chart(selection, checked),
        "wape_chart": wape_chart(selection, checked),
        "backtest_chart": backtest_chart(selection, scores),
        "run": run,
        "notes": run_notes(run, queues),
    }


def _history(queues, first: date, last: date) -> dict:
    """{day: offered} summed over the queues (teams and channels), from the day rollup."""
    rows = (
        ContactDay.objects.filter(queue__in=queues, day__range=(first, last))
        .values("day")
        .annotate(offered=Sum("offered"))
        .order_by("day")
    )
    return {row["day"]: row["offered"] for row in rows}


def _forecast_days(queues, first: date) -> dict:
    """{day: {contacts, lower, upper, aht_seconds}} of the stored day forecasts from
    `first` on, summed over the queues (AHT weighted by contacts)."""
    rows = (
        ForecastDay.objects.filter(queue__in=queues, day__gte=first)
        .values("day")
        .annotate(
            total=Sum("contacts"),
            low=Sum("lower"),
            high=Sum("upper"),
            handle=Sum(F("contacts") * F("aht_seconds")),
            known=Sum("contacts", filter=Q(aht_seconds__isnull=False)),
        )
        .order_by("day")
    )
    return {
        row["day"]: {
            "contacts": row["total"],
            "lower": row["low"],
            "upper": row["high"],
            "aht_seconds": row["handle"] / row["known"] if row["known"] else None,
        }
        for row in rows
    }


def _special_days(queues, first: date, last: date) -> list[dict]:
    """The special days of any of the queues (or of every queue) in the range."""
    rows = (
        SpecialDay.objects.filter(date__range=(first, last))
        .filter(Q(queues__in=queues) | Q(queues__isnull=True))
        .order_by("date")
        .values_list("date", "kind", "reason")
        .distinct()
    )
    merged = {}
    for day, kind, reason in rows:
        if day in merged and reason not in merged[day]["reason"]:
            merged[day]["reason"] += f"; {reason}"
        merged.setdefault(day, {"date": day, "kind": kind, "reason": reason})
    return list(merged.values())


def _interval_actuals(queues, week: date, today: date) -> dict:
    """{UTC interval start: offered} of the week's days up to today (summed over teams,
    agents and channels)."""
    begin, end = local_days(week, 7)
    end = min(end, timezone.now())
    if week > today:
        return {}
    rows = (
        ContactInterval.objects.filter(queue__in=queues, interval_start__gte=begin)
        .filter(interval_start__lt=end)
        .values("interval_start")
        .annotate(offered=Sum("offered"))
        .order_by()
    )
    return {row["interval_start"].timestamp(): row["offered"] for row in rows}


def _settings(queues) -> dict:
    return {
        setting.queue_id: setting
        for setting in QueueForecastSetting.objects.filter(queue__in=queues)
    }


def last_run(queues) -> ForecastRun | None:
    """The latest run that forecast these queues (all queues, or one of them)."""
    return (
        ForecastRun.objects.filter(Q(queue__isnull=True) | Q(queue__in=queues))
        .select_related("requested_by", "queue")
        .order_by("-created_at", "-pk")
        .first()
    )


def run_notes(run: ForecastRun | None, queues) -> list[dict]:
    """The run's word on each of these queues (e.g. not enough history)."""
    if run is None:
        return []
    names = {queue.name for queue in queues}
    return [row for row in run.summary or [] if row.get("queue") in names and row.get("note")]


def run_range(run: ForecastRun) -> tuple[date, date]:
    return run.start, run.start + timedelta(days=7 * run.weeks - 1)


# -- the tables ----------------------------------------------------------------------------


def weekday_table(rows: list[dict], week: date) -> dict:
    """The week's forecast as a table: a row per local clock interval that has any volume
    in the week, a column per weekday (Monday first), and the day totals. A fall-back
    day's two 01:00 intervals share their clock row (their contacts add up)."""
    cells = defaultdict(lambda: [0.0] * 7)
    totals = [0.0] * 7
    for row in rows:
        column = (row["start"].date() - week).days
        if not 0 <= column < 7:
            continue
        clock = row["start"].strftime("%H:%M")
        cells[clock][column] += row["contacts"]
        totals[column] += row["contacts"]
    body = [
        {"interval": clock, "cells": values, "total": sum(values)}
        for clock, values in sorted(cells.items())
        if any(values)
    ]
    return {"rows": body, "totals": totals, "total": sum(totals)}


def table_csv(table: dict, week: date):
    """The weekday table as CSV rows: header, the intervals, the total row."""
    days = [week + timedelta(days=n) for n in range(7)]
    header = ["interval", *(f"{WEEKDAYS[n]} {day.isoformat()}" for n, day in enumerate(days)),
              "week"]  # fmt: skip
    rows = [[row["interval"], *row["cells"], row["total"]] for row in table["rows"]]
    rows.append(["Total", *table["totals"], table["total"]])
    return header, rows


def methods(queues, scores: list[dict], settings: dict) -> list[dict]:
    """Per queue: its latest run's backtest table (a row per method, both grains, WAPE and
    bias in %) and which method forecasts it and why."""
    latest = {}
    for row in scores:
        latest.setdefault(row["queue"], row["run_id"])
    result = []
    for queue in queues:
        setting = settings.get(queue.pk)
        pinned = setting.pinned_method if setting else ""
        rows = {}
        for row in scores:
            if row["queue"] != queue.pk or row["run_id"] != latest.get(queue.pk):
                continue
            entry = rows.setdefault(row["method"], {
                "method": row["method"], "label": METHOD_LABELS.get(row["method"], row["method"]),
                "interval_wape": None, "day_wape": None, "bias": None, "origins": row["origins"],
                "chosen": False, "pinned": row["method"] == pinned,
            })  # fmt: skip
            if row["grain"] == Grain.INTERVAL:
                entry["interval_wape"], entry["bias"] = percent(row["wape"]), percent(row["bias"])
                entry["origins"] = row["origins"]
            else:
                entry["day_wape"] = percent(row["wape"])
            entry["chosen"] = entry["chosen"] or row["chosen"]
        method = setting.method if setting else None
        result.append({
            "queue": queue,
            "setting": setting,
            "method": method,
            "method_label": METHOD_LABELS.get(method, method),
            "why": "pinned" if pinned else ("chosen" if setting and setting.chosen_method else None),
            "rows": sorted(rows.values(), key=lambda entry: list(METHOD_LABELS).index(entry["method"])
                           if entry["method"] in METHOD_LABELS else 99),
            "run_at": next((row["run__created_at"] for row in scores
                            if row["run_id"] == latest.get(queue.pk)), None),
        })  # fmt: skip
    return result


def percent(value):
    return None if value is None else 100 * value


def accuracy_table(checked: list[dict]) -> list[dict]:
    """Per queue, WAPE and bias in % over the whole window and per week, both grains."""

    def scores(entry):
        return {
            "forecast": entry["day"]["forecast"], "actual": entry["day"]["actual"],
            "interval_wape": percent(entry["interval"]["wape"]),
            "interval_bias": percent(entry["interval"]["bias"]),
            "day_wape": percent(entry["day"]["wape"]), "day_bias": percent(entry["day"]["bias"]),
        }  # fmt: skip

    return [
        {
            "queue": queue["queue"],
            "days": len(queue["days"]),
            "total": scores(queue),
            "weeks": [{"week": week["week"], **scores(week)} for week in reversed(queue["weeks"])],
        }
        for queue in checked
        if queue["days"]
    ]


# -- the charts ----------------------------------------------------------------------------


def _layout(title: str, **extra) -> dict:
    """The product's chart theme (kpis.charts), for this page's figures."""
    return charts._layout(title, **extra)


def _special_shapes(specials: list[dict]) -> list[dict]:
    """A shaded column over each special day, centred on its point."""
    shapes = []
    for day in specials:
        noon = datetime.combine(day["date"], time(12))
        shapes.append({
            "type": "rect", "xref": "x", "yref": "paper", "layer": "below", "line": {"width": 0},
            "x0": (noon - timedelta(days=1)).isoformat(), "x1": noon.isoformat(),
            "y0": 0, "y1": 1, "fillcolor": SPECIAL_FILL,
        })  # fmt: skip
    return shapes


def daily_chart(selection: Selection, history: dict, days: dict, specials: list) -> dict:
    """Offered contacts per day (the last weeks) and the stored forecast with its 80 %
    interval; special days shaded, their reason in the hover."""
    actual_x = [day.isoformat() for day in history]
    forecast_x = [day.isoformat() for day in days]
    lows = [row["lower"] for row in days.values()]
    highs = [row["upper"] for row in days.values()]
    top = max([*history.values(), *highs, 1])
    data = [
        {"type": "scatter", "mode": "lines", "name": "80 % interval (lower)", "x": forecast_x,
         "y": lows, "line": {"width": 0, "color": FORECAST_COLOUR}, "showlegend": False,
         "hovertemplate": "low %{y:,.0f}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": "80 % interval", "x": forecast_x,
         "y": highs, "fill": "tonexty", "fillcolor": BAND_FILL,
         "line": {"width": 0, "color": FORECAST_COLOUR},
         "hovertemplate": "high %{y:,.0f}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": "Forecast", "x": forecast_x,
         "y": [row["contacts"] for row in days.values()],
         "line": {"color": FORECAST_COLOUR, "width": 2, "dash": "dash"},
         "hovertemplate": "forecast %{y:,.0f}<extra></extra>"},
        {"type": "scatter", "mode": "lines+markers", "name": "Actual offered", "x": actual_x,
         "y": list(history.values()), "line": {"color": ACTUAL_COLOUR, "width": 2},
         "marker": {"size": 4}, "hovertemplate": "actual %{y:,.0f}<extra></extra>"},
    ]  # fmt: skip
    if specials:
        data.append({
            "type": "scatter", "mode": "markers", "name": "Special day",
            "x": [day["date"].isoformat() for day in specials], "y": [top * 1.04] * len(specials),
            "text": [day["reason"] for day in specials],
            "marker": {"symbol": "star", "size": 10, "color": charts.PALETTE[3]},
            "hovertemplate": "%{text}<extra>special day</extra>",
        })  # fmt: skip
    return {
        "data": data,
        "layout": _layout(
            f"{selection.name}: contacts per day, actual and forecast",
            shapes=_special_shapes(specials),
            yaxis={"gridcolor": "#e4e9f0", "zeroline": False, "rangemode": "tozero",
                   "title": "contacts"},
        ),
    }  # fmt: skip


def intraday_chart(selection: Selection, rows: list[dict], actuals: dict) -> dict:
    """The week's forecast per 15 minutes, AHT on a second axis, and the offered
    contacts of the intervals already over."""
    x = [row["start"].isoformat() for row in rows]
    now = timezone.now().timestamp()
    done = [row for row in rows if row["start"].timestamp() + INTERVAL_SECONDS <= now]
    data = [
        {"type": "scatter", "mode": "lines", "name": "Forecast contacts", "x": x,
         "y": [row["contacts"] for row in rows], "line": {"color": FORECAST_COLOUR, "width": 1.5},
         "hovertemplate": "forecast %{y:.1f}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": "Forecast AHT (s)", "x": x,
         "y": [row["aht_seconds"] for row in rows], "yaxis": "y2", "connectgaps": False,
         "line": {"color": AHT_COLOUR, "width": 1, "dash": "dot"},
         "hovertemplate": "AHT %{y:.0f} s<extra></extra>"},
    ]  # fmt: skip
    if done:
        data.append({
            "type": "scatter", "mode": "lines", "name": "Actual offered",
            "x": [row["start"].isoformat() for row in done],
            "y": [actuals.get(row["start"].timestamp(), 0) for row in done],
            "line": {"color": ACTUAL_COLOUR, "width": 1.5},
            "hovertemplate": "actual %{y}<extra></extra>",
        })  # fmt: skip
    return {
        "data": data,
        "layout": _layout(
            "The week per 15 minutes (local time)",
            yaxis={"gridcolor": "#e4e9f0", "zeroline": False, "rangemode": "tozero",
                   "title": "contacts"},
            yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": "AHT (s)",
                    "rangemode": "tozero"},
            margin={"l": 48, "r": 64, "t": 40, "b": 40},
        ),
    }  # fmt: skip


def accuracy_chart(selection: Selection, checked: list[dict]) -> dict | None:
    """Per past day with a stored forecast: the forecast against the actual offered
    contacts (the selection's sum)."""
    forecast, actual = defaultdict(float), defaultdict(float)
    for queue in checked:
        for row in queue["days"]:
            forecast[row["day"]] += row["forecast"]
            actual[row["day"]] += row["actual"]
    if not forecast:
        return None
    days = sorted(forecast)
    x = [day.isoformat() for day in days]
    data = [
        {"type": "bar", "name": "Actual offered", "x": x, "y": [actual[day] for day in days],
         "marker": {"color": "#c9d6e3"}, "hovertemplate": "actual %{y:,.0f}<extra></extra>"},
        {"type": "scatter", "mode": "lines+markers", "name": "Forecast", "x": x,
         "y": [forecast[day] for day in days], "line": {"color": FORECAST_COLOUR, "width": 2},
         "marker": {"size": 5}, "hovertemplate": "forecast %{y:,.0f}<extra></extra>"},
    ]  # fmt: skip
    return {"data": data, "layout": _layout("Forecast against actual, per day")}


def wape_chart(selection: Selection, checked: list[dict]) -> dict | None:
    """Each queue's WAPE per ISO week, per 15 minutes and per day, in %."""
    data = []
    for index, queue in enumerate(checked):
        label = f"{queue['queue'].name}: " if selection.is_group else ""
        colour = charts.PALETTE[index % len(charts.PALETTE)]
        for grain, dash in (("interval", "solid"), ("day", "dot")):
            weeks = [week for week in queue["weeks"] if week[grain]["wape"] is not None]
            if not weeks:
                continue
            name = f"{label}WAPE {'15 min' if grain == 'interval' else 'day'}"
            data.append({
                "type": "scatter", "mode": "lines+markers", "name": name,
                "x": [f"{week['week']:%-d %b}" for week in weeks],
                "y": [100 * week[grain]["wape"] for week in weeks],
                "line": {"color": colour, "width": 2, "dash": dash}, "marker": {"size": 6},
                "hovertemplate": "%{y:.1f} %<extra>" + name + "</extra>",
            })  # fmt: skip
    if not data:
        return None
    return {
        "data": data,
        "layout": _layout("WAPE by week (%), weeks from Monday",
                          xaxis={"type": "category", "gridcolor": "#e4e9f0"}),
    }  # fmt: skip


def backtest_chart(selection: Selection, scores: list[dict]) -> dict | None:
    """Each method's backtest WAPE (15-minute intervals) run after run, one queue."""
    if selection.is_group:
        return None
    lines = defaultdict(list)
    for row in reversed(scores):
        if row["grain"] == Grain.INTERVAL and row["wape"] is not None:
            lines[row["method"]].append((row["run__created_at"], row["wape"]))
    if not any(len(points) > 1 for points in lines.values()):
        return None
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": METHOD_LABELS.get(method, method),
         "x": [timezone.localtime(at).strftime("%-d %b %H:%M") for at, _ in points],
         "y": [100 * wape for _, wape in points],
         "line": {"color": charts.PALETTE[n % len(charts.PALETTE)], "width": 1.5},
         "hovertemplate": "%{y:.1f} %<extra></extra>"}
        for n, (method, points) in enumerate(sorted(lines.items()))
    ]  # fmt: skip
    return {
        "data": data,
        "layout": _layout("Backtest WAPE by run (15 min, %)", xaxis={"type": "category"},
                          legend={"orientation": "h", "y": -0.25}),
    }  # fmt: skip


# -- the overview's overlay ----------------------------------------------------------------

GRAIN_MINUTES = {"interval": 15, "half_hour": 30, "hour": 60}


def intraday_overlay(user, filters) -> dict | None:
    """The stored forecast of the overview's intraday day, at its interval length, for
    the queues behind its offered bars: the queues filtered, a team's queues served, the
    channels' queues; the whole center for a manager without filters. None when the
    scope has no queues (an agent's numbers) or nothing is stored (two queries)."""
    minutes = GRAIN_MINUTES.get(filters.grain)
    if minutes is None or filters.day is None:
        return None
    request = filters.request(start=filters.day, end=filters.day, granularity=filters.grain,
                              kpis=("offered",))  # fmt: skip
    level = level_of(user, request)
    if level == AGENT:
        return None
    served = served_queues_request(user, request)
    if level == TEAM and served is None:
        return None  # the teams serve no queue: no offered bars to set it against
    names = served.queues if served is not None else request.queues
    queues = Queue.objects.visible_to(user)
    if names:
        queues = queues.filter(name__in=names)
    if filters.channels:
        queues = queues.filter(channel__in=filters.channels)
    queues = list(queues.order_by("name"))
    if not queues:
        return None
    rows = interval_rows(queues, filters.day, filters.day, minutes=minutes, label="Forecast")
    if not any(row["method"] or row["contacts"] for row in rows):
        return None
    return {
        "name": "Forecast",
        "x": [row["start"].isoformat() for row in rows],
        "y": [row["contacts"] for row in rows],
    }
