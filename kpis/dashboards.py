"""Reads for the dashboard pages: periods, tiles, charts and breakdowns from the rollups."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from kpis import charts, definitions, leaderboards
from kpis.models import ContactInterval, Target
from kpis.selectors import (
    SeriesRequest,
    agent_outliers,
    filter_rows,
    kpi_series,
    local_midnight,
    scope_rows,
    target_status,
)

PERIODS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "last7": "Last 7 days",
    "last30": "Last 30 days",
    "week": "This week",
    "month": "This month",
    "custom": "Custom",
}
# The KPIs drawn as trend charts, in this order.
TREND_KPIS = (
    "offered",
    "service_level",
    "asa",
    "aht",
    "abandonment_rate",
    "csat",
    "occupancy",
    "fcr",
)
# The columns of the breakdown tables.
TABLE_KPIS = (
    "offered",
    "answered",
    "service_level",
    "asa",
    "aht",
    "abandonment_rate",
    "fcr",
    "csat",
)
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Which contacts a tile's number counts, for its drill-down link.
DRILL_OUTCOME = {
    "answered": "answered",
    "abandoned": "abandoned",
    "handled": "handled",
    "callbacks": "callback",
    "abandonment_rate": "abandoned",
    "aht": "handled",
    "transfer_rate": "transferred",
    "csat": "surveyed",
    "nps": "surveyed",
    "fcr": "handled",
}


@dataclass
class Filters:
    period: str
    start: date
    end: date
    queues: tuple = ()
    channels: tuple = ()
    teams: tuple = ()
    day: date | None = None
    errors: list = field(default_factory=list)

    def request(self, **changes) -> SeriesRequest:
        values = {"start": self.start, "end": self.end, "queues": self.queues,
                  "channels": self.channels, "teams": self.teams}  # fmt: skip
        values.update(changes)
        return SeriesRequest(**values)

    @property
    def single_day(self) -> bool:
        return self.start == self.end


def period_range(period: str, today: date) -> tuple[date, date]:
    if period == "today":
        return today, today
    if period == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if period == "last30":
        return today - timedelta(days=29), today
    if period == "week":
        return today - timedelta(days=today.weekday()), today
    if period == "month":
        return today.replace(day=1), today
    return today - timedelta(days=6), today  # last7


def parse_filters(params, today: date | None = None) -> Filters:
    """The page's period and filters from the URL; a bad value falls back and says so."""
    today = today or timezone.localdate()
    period = params.get("period") or "last7"
    errors = []
    if period not in PERIODS:
        errors.append(f"Unknown period {period!r}: showing the last 7 days.")
        period = "last7"
    start, end = period_range(period, today)
    if period == "custom":
        try:
            start = date.fromisoformat(params.get("start", ""))
            end = date.fromisoformat(params.get("end", ""))
            if end < start or (end - start).days > 366 or not 1900 <= start.year <= 2999:
                raise ValueError
        except ValueError:
            errors.append("Pick a custom period as two dates, at most a year apart.")
            period, (start, end) = "last7", period_range("last7", today)
    day = None
    if params.get("day"):
        try:
            day = date.fromisoformat(params["day"])
        except ValueError:
            errors.append("The day of the interval chart should read YYYY-MM-DD.")
    if day is None or not start <= day <= end:
        # The last full day of the period: today has only begun.
        day = end if end < today or start == end else end - timedelta(days=1)
    clean = [value for value in params.getlist("channel") if value]
    return Filters(
        period=period,
        start=start,
        end=end,
        queues=tuple(v for v in params.getlist("queue") if v),
        channels=tuple(clean),
        teams=tuple(v for v in params.getlist("team") if v),
        day=day,
        errors=errors,
    )


def _targets_for(filters: Filters) -> dict:
    """The targets that apply to the page's scope, by KPI key (in force at its end)."""
    targets = Target.objects.filter(valid_from__lte=filters.end).exclude(due_by__lt=filters.start)
    if filters.teams and len(filters.teams) == 1 and not (filters.queues or filters.channels):
        targets = targets.filter(scope="team", team__name=filters.teams[0])
    elif filters.queues and len(filters.queues) == 1 and not (filters.teams or filters.channels):
        targets = targets.filter(scope="queue", queue__name=filters.queues[0])
    elif filters.queues or filters.teams or filters.channels:
        return {}
    else:
        targets = targets.filter(scope="center")
    return {target.kpi: target for target in targets.order_by("valid_from")}


def _change(kpi: definitions.Kpi, now, before):
    """Change against the previous period: points for percentages, else percent."""
    if now is None or before is None:
        return None
    if kpi.unit in ("percent", "score"):
        return {"value": now - before, "unit": "pts"}
    if not before:
        return None
    return {"value": 100 * (now - before) / before, "unit": "%"}


def tiles(user, filters: Filters) -> list[dict]:
    length = (filters.end - filters.start).days + 1
    previous = filters.request(start=filters.start - timedelta(days=length),
                              end=filters.start - timedelta(days=1))  # fmt: skip
    [now] = kpi_series(user, filters.request())
    [before] = kpi_series(user, previous)
    spark = kpi_series(user, filters.request(granularity="hour" if filters.single_day else "day"))
    targets = _targets_for(filters)
    result = []
    for kpi in definitions.KPIS:
        value = now["kpis"][kpi.key]
        target = targets.get(kpi.key)
        result.append({
            "kpi": kpi,
            "value": value,
            "change": _change(kpi, value, before["kpis"][kpi.key]),
            "better": _better(kpi, value, before["kpis"][kpi.key]),
            "target": target,
            "status": target_status(kpi, target.value, target.warning_margin, value) if target else None,
            "sparkline": charts.sparkline_points([row["kpis"][kpi.key] for row in spark]),
            "outcome": DRILL_OUTCOME.get(kpi.key, ""),
        })  # fmt: skip
    return result, spark, targets


def _better(kpi, now, before):
    if (
        now is None
        or before is None
        or now == before
        or kpi.direction
        not in (
            definitions.HIGHER,
            definitions.LOWER,
        )
    ):
        return None
    return (now > before) == (kpi.direction == definitions.HIGHER)


def trend_charts(spark_rows, targets) -> list[dict]:
    periods = [row["period_start"].isoformat() for row in spark_rows]
    figures = []
    for key in TREND_KPIS:
        kpi = definitions.BY_KEY[key]
        target = targets.get(key)
        figures.append({
            "key": key,
            "figure": charts.trend(kpi, periods, [row["kpis"][key] for row in spark_rows],
                                   target.value if target else None),
        })  # fmt: skip
    return figures


def heatmap(user, filters: Filters) -> dict:
    """Offered contacts by local weekday and hour, from the interval rollup (one query)."""
    zone = timezone.get_default_timezone()
    rows = scope_rows(user, ContactInterval.objects.all()).filter(
        interval_start__gte=local_midnight(filters.start),
        interval_start__lt=local_midnight(filters.end + timedelta(days=1)),
    )
    rows = filter_rows(rows, filters.request(), fields={"queue", "team", "channel"})
    counts = [[0] * 24 for _ in WEEKDAYS]
    for row in (
        rows.annotate(
            weekday=ExtractIsoWeekDay("interval_start", tzinfo=zone),
            hour=ExtractHour("interval_start", tzinfo=zone),
        )  # fmt: skip
        .values("weekday", "hour")
        .annotate(offered=Sum("offered"))
        .order_by()
    ):
        counts[row["weekday"] - 1][row["hour"]] += row["offered"]
    return charts.volume_heatmap(WEEKDAYS, list(range(24)), counts)


def intraday_chart(user, filters: Filters) -> dict:
    rows = kpi_series(user, filters.request(start=filters.day, end=filters.day, granularity="interval",
                                            kpis=("offered", "service_level", "abandonment_rate")))  # fmt: skip
    return charts.intraday(
        [row["period_start"].isoformat() for row in rows],
        [row["kpis"]["service_level"] for row in rows],
        [row["kpis"]["abandonment_rate"] for row in rows],
        [row["kpis"]["offered"] for row in rows],
    )


def breakdown(user, filters: Filters, group_by: str) -> list[dict]:
    rows = kpi_series(user, filters.request(group_by=group_by, kpis=TABLE_KPIS))
    return [
        {"name": row["group"][group_by], "kpis": row["kpis"]}
        for row in rows
        if row["group"][group_by] is not None and row["kpis"]["offered"]
    ]


def overview(user, filters: Filters) -> dict:
    tile_rows, spark, targets = tiles(user, filters)
    return {
        "tiles": tile_rows,
        "trends": trend_charts(spark, targets),
        "heatmap": heatmap(user, filters),
        "intraday": intraday_chart(user, filters),
        "tables": {
            "queue": breakdown(user, filters, "queue"),
            "channel": breakdown(user, filters, "channel"),
            "team": breakdown(user, filters, "team"),
        },
        "table_kpis": [definitions.BY_KEY[key] for key in TABLE_KPIS],
    }


# -- team, agent and targets pages --------------------------------------------------------

AGENT_KPIS = ("handled", "aht", "asa", "transfer_rate", "fcr", "csat", "nps", "occupancy",
              "utilization", "adherence", "contacts_per_hour")  # fmt: skip


def team_page(team, filters: Filters, leader_kpi: str | None) -> dict:
    """A team against the center, its agents with outlier flags, and a leaderboard."""
    request = filters.request(teams=(team.name,), queues=(), channels=())
    [mine] = kpi_series(None, request)
    [center] = kpi_series(None, filters.request(teams=(), queues=(), channels=()))
    agents = kpi_series(None, filters.request(teams=(team.name,), queues=(), channels=(),
                                              group_by="agent", kpis=AGENT_KPIS))  # fmt: skip
    flags = {row["agent"]: row["kpis"] for row in agent_outliers(team, filters.start, filters.end)}
    rows = []
    for row in agents:
        login = row["group"]["agent"]
        if login is None:
            continue
        rows.append({"login": login, "kpis": row["kpis"], "flags": flags.get(login, {})})
    kpi = leaderboards.chosen_kpi(leader_kpi)
    board = leaderboards.rank(leaderboards.agent_entries(agents, kpi), kpi,
                              minimum=leaderboards.min_handled())  # fmt: skip
    comparison = [
        {"kpi": definitions.BY_KEY[key], "team": mine["kpis"][key], "center": center["kpis"][key]}
        for key in AGENT_KPIS
    ]
    return {"comparison": comparison, "agents": rows, "leaderboard": board, "leader_kpi": kpi,
            "leader_kpis": [definitions.BY_KEY[key] for key in leaderboards.RANKABLE_KPIS],
            "agent_kpis": [definitions.BY_KEY[key] for key in AGENT_KPIS]}  # fmt: skip


def agent_page(agent, filters: Filters) -> dict:
    """One agent's KPIs over time against their team's."""
    granularity = "hour" if filters.single_day else "day"
    mine = kpi_series(None, filters.request(agents=(agent.login,), teams=(), queues=(), channels=(),
                                            granularity=granularity, kpis=AGENT_KPIS))  # fmt: skip
    [total] = kpi_series(None, filters.request(agents=(agent.login,), teams=(), queues=(), channels=(),
                                               kpis=AGENT_KPIS))  # fmt: skip
    team_rows = []
    if agent.team_id:
        team_rows = kpi_series(None, filters.request(teams=(agent.team.name,), queues=(), channels=(),
                                                     granularity=granularity, kpis=AGENT_KPIS))  # fmt: skip
    periods = [row["period_start"].isoformat() for row in mine]
    figures = []
    for key in ("handled", "aht", "csat", "occupancy", "adherence", "contacts_per_hour"):
        kpi = definitions.BY_KEY[key]
        figures.append({"key": key, "figure": charts.comparison(
            kpi, periods, [row["kpis"][key] for row in mine],
            [row["kpis"][key] for row in team_rows] if team_rows else None)})  # fmt: skip
    return {"total": total["kpis"], "figures": figures,
            "agent_kpis": [definitions.BY_KEY[key] for key in AGENT_KPIS]}  # fmt: skip
