"""Reads for the dashboard pages: periods, tiles, charts and breakdowns from the rollups."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from math import ceil
from urllib.parse import urlencode

from django.db.models import Sum
from django.db.models.functions import ExtractIsoWeekDay
from django.urls import reverse
from django.utils import timezone

from agents import access
from agents.models import Team
from core import roles
from core.filters import text_filters
from core.localtime import at_local, local_today
from interactions.models import Queue
from kpis import charts, definitions, leaderboards
from kpis.models import ContactHour
from kpis.selectors import (
    AGENT,
    PROVISIONAL,
    TEAM,
    SeriesRequest,
    agent_outliers,
    cost_entries,
    filter_rows,
    kpi_series,
    level_of,
    scope_rows,
    scope_series,
    scope_total,
    served_queues_request,
    target_status,
    targets_for,
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
COMPARISONS = {
    "previous": "the period just before",
    "week": "the same weekdays a week before",
}
GRAINS = {"interval": "15 min", "half_hour": "30 min", "hour": "60 min"}


@dataclass
class Filters:
    period: str
    start: date
    end: date
    queues: tuple = ()
    channels: tuple = ()
    teams: tuple = ()
    day: date | None = None
    compare: str = "previous"
    grain: str = "interval"
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
    today = today or local_today()
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
    # A day is set against the same weekday a week before by default (a Monday against a
    # Sunday says nothing); a longer period against the one just before it.
    default = "week" if start == end else "previous"
    compare = params.get("compare") or default
    if compare not in COMPARISONS:
        errors.append(f"Unknown comparison {compare!r}: comparing with {COMPARISONS[default]}.")
        compare = default
    grain = params.get("grain") or "interval"
    if grain not in GRAINS:
        errors.append(f"Unknown interval length {grain!r}: showing 15 minutes.")
        grain = "interval"
    return Filters(
        period=period,
        start=start,
        end=end,
        queues=text_filters(params, "queue"),
        channels=text_filters(params, "channel"),
        teams=text_filters(params, "team"),
        day=day,
        compare=compare,
        grain=grain,
        errors=errors,
    )


def today_filters(queues=(), teams=()) -> Filters:
    """Today, for a page that has no period of its own (the wallboard)."""
    today = local_today()
    return Filters(period="today", start=today, end=today, queues=queues, teams=teams)


def page_targets(user, filters: Filters) -> dict:
    """The targets the page's scope is measured against, by KPI key: a single team's or
    queue's own (a supervisor of one team: theirs), else the center's (targets_for)."""
    team = queue = None
    if len(filters.teams) == 1 and not filters.queues:
        team = Team.objects.filter(name=filters.teams[0]).first()
    elif len(filters.queues) == 1 and not filters.teams:
        queue = Queue.objects.filter(name=filters.queues[0]).first()
    elif not (filters.teams or filters.queues) and not roles.is_manager(user):
        teams = list(access.visible_teams(user)[:2])
        team = teams[0] if len(teams) == 1 else None
    return targets_for(filters.start, filters.end, team=team, queue=queue)


def _change(kpi: definitions.Kpi, now, before):
    """Change against the previous period: points for percentages, else percent."""
    if now is None or before is None:
        return None
    if kpi.unit in ("percent", "score"):
        return {"value": now - before, "unit": "pts"}
    if not before:
        return None
    return {"value": 100 * (now - before) / before, "unit": "%"}


def comparison(filters: Filters, now: datetime | None = None) -> dict:
    """What "vs previous" compares: the same length of time before (or the same weekdays
    a week or more before), and for a period still under way only the same elapsed time
    on both sides, cut at the last completed 15-minute interval: 30 seconds into today is
    no day to set against a whole one, and a Monday is set against a Monday."""
    now = timezone.localtime(now)
    length = (filters.end - filters.start).days + 1
    shift = length if filters.compare == "previous" else 7 * ceil(length / 7)
    result = {"current": filters.request(), "label": None, "until": None}
    if filters.end >= now.date():
        cut = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        result["current"] = filters.request(until=cut)
        result["until"] = cut
    before_end = filters.end - timedelta(days=shift)
    until = None
    if result["until"] is not None:
        until = at_local(before_end, result["until"].time())
    result["before"] = filters.request(
        start=filters.start - timedelta(days=shift), end=before_end, until=until
    )
    before_start = filters.start - timedelta(days=shift)
    if length == 1:
        label = "yesterday" if shift == 1 else f"{before_end:%a %-d %b}"
    elif before_start.month == before_end.month:
        label = f"{before_start:%-d}–{before_end:%-d %b}"
    else:
        label = f"{before_start:%-d %b} – {before_end:%-d %b}"
    if until is not None:
        label += f", to {until:%H:%M}"
    result["label"] = label
    return result


# Waits a person reads per kind of channel (definitions.REAL_TIME_CHANNELS / DEFERRED).
SPLIT_KPIS = ("asa", "max_wait")
CHANNEL_GROUPS = {"real_time": "voice & chat", "deferred": "e-mail, social, SMS"}


def channel_split(user, request: SeriesRequest) -> dict:
    """ASA and longest wait of real-time channels and of deferred ones, apart: seconds of
    a call and hours of an e-mail averaged together mean nothing. Empty when the request
    already names its channels."""
    if request.channels:
        return {}
    keys = SPLIT_KPIS if request.kpis is None else tuple(k for k in SPLIT_KPIS if k in request.kpis)
    groups = {"real_time": definitions.REAL_TIME_CHANNELS,
              "deferred": definitions.DEFERRED_CHANNELS}  # fmt: skip
    values = {
        group: scope_series(user, replace(request, channels=channels, kpis=keys))[0]["kpis"]
        for group, channels in groups.items()
    }
    return {key: {group: values[group][key] for group in groups} for key in keys}


def tiles(user, filters: Filters) -> list[dict]:
    compare = comparison(filters)
    spark_request = filters.request(granularity="hour" if filters.single_day else "day")
    spark = scope_series(user, spark_request)
    now = scope_total(user, spark_request, spark)  # the tiles are their sparklines' sums
    [now_cut] = scope_series(user, compare["current"]) if compare["until"] is not None else [now]
    [before] = scope_series(user, compare["before"])
    targets = page_targets(user, filters)
    split = channel_split(user, filters.request())
    links = drill_scope(user, filters, now)
    result = []
    for kpi in definitions.KPIS:
        value = now["kpis"][kpi.key]
        target = targets.get(kpi.key)
        provisional = kpi.key in now["provisional"]
        status = None
        if target is not None:
            status = target_status(kpi, target.value, target.warning_margin, value)
            if provisional and status != "no data":
                status = PROVISIONAL
        result.append({
            "kpi": kpi,
            "value": value,
            "not_applicable": kpi.key in now["not_applicable"],
            "provisional": provisional,
            "from_queues": kpi.level == definitions.QUEUE and bool(now.get("queues_served")),
            "split": split.get(kpi.key),
            "change": _change(kpi, now_cut["kpis"][kpi.key], before["kpis"][kpi.key]),
            "better": _better(kpi, now_cut["kpis"][kpi.key], before["kpis"][kpi.key]),
            "target": target,
            "status": status,
            "sparkline": charts.sparkline_points([row["kpis"][kpi.key] for row in spark]),
            "href": drill_href(kpi, filters.start, filters.end,
                               **_channels(links[kpi.level == definitions.QUEUE], kpi, split, "real_time")),
            "deferred_href": drill_href(kpi, filters.start, filters.end,
                                        **_channels(links[False], kpi, split, "deferred")),
        })  # fmt: skip
    return result, spark, targets, compare, now.get("queues_served", [])


def _channels(scope: dict, kpi: definitions.Kpi, split: dict, group: str) -> dict:
    """A wait tile shows one kind of channel: its link lists that kind's contacts."""
    if kpi.key not in split:
        return scope
    channels = {"real_time": definitions.REAL_TIME_CHANNELS,
                "deferred": definitions.DEFERRED_CHANNELS}[group]  # fmt: skip
    return {**scope, "channel": channels}


def _team_names(user) -> tuple[str, ...]:
    """The names of the teams the user may see, read once per request (kept on the user
    object, like its roles)."""
    if not hasattr(user, "_visible_team_names"):
        user._visible_team_names = tuple(access.visible_teams(user).values_list("name", flat=True))
    return user._visible_team_names


def drill_scope(user, filters: Filters, row: dict) -> dict:
    """The filters a figure's drill-down carries, for agent-side KPIs (False) and
    queue-side ones (True): the page's scope spelled out, so the list counts what the
    figure counts."""
    base = {"queue": filters.queues, "team": filters.teams, "channel": filters.channels}
    agent_side = dict(base)
    if not (filters.teams or filters.queues) and level_of(user, filters.request()) == TEAM:
        agent_side["team"] = _team_names(user)
    queue_side = dict(agent_side)
    if row.get("queues_served"):
        queue_side = {"queue": tuple(row["queues_served"]), "channel": filters.channels}
    return {False: agent_side, True: queue_side}


def _query(start: date | None, end: date | None, **params) -> str:
    """A link's query string: the period, then each filter (a value may be a list)."""
    pairs = [(name, day.isoformat()) for name, day in (("start", start), ("end", end)) if day]
    for name, values in params.items():
        values = (values,) if isinstance(values, str) else values or ()
        pairs += [(name, value) for value in values if value]
    return urlencode(pairs)


def contacts_url(start: date | None = None, end: date | None = None, **params) -> str:
    """The contacts list for a period and filters: the one place such a link is built."""
    return f"{reverse('contact-list')}?{_query(start, end, **params)}"


def drill_href(kpi: definitions.Kpi | None, start: date, end: date, **scope) -> str | None:
    """Where a KPI's number leads: the contacts behind it (its denominator's, counting
    its numerator's), or the view of agent states, schedules or costs that explains it;
    with no KPI, the contacts of the scope."""
    if kpi is None:
        return contacts_url(start, end, **scope)
    if kpi.contacts:
        return contacts_url(start, end, **scope, outcome=kpi.contacts, counted=kpi.counted)
    if kpi.explained_by:
        return f"{reverse('kpi-explain', args=[kpi.key])}?{_query(start, end, **scope)}"
    return None


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


def trend_charts(spark_rows, targets, real_time_rows=None) -> list[dict]:
    """The overview's trend charts; waits (SPLIT_KPIS) are drawn for voice and chat when
    `real_time_rows` holds them (a page not filtered by channel)."""
    periods = [row["period_start"].isoformat() for row in spark_rows]
    figures = []
    for key in TREND_KPIS:
        kpi = definitions.BY_KEY[key]
        target = targets.get(key)
        rows = real_time_rows if key in SPLIT_KPIS and real_time_rows else spark_rows
        figure = charts.trend(kpi, periods, [row["kpis"][key] for row in rows],
                              target.value if target else None,
                              provisional=[key in row["provisional"] for row in rows])  # fmt: skip
        if rows is real_time_rows:
            figure["layout"]["title"]["text"] += f" · {CHANNEL_GROUPS['real_time']}"
        figures.append({"key": key, "figure": figure})
    return figures


def _queue_side(user, filters: Filters, **changes) -> SeriesRequest:
    """The request for queue-side numbers of the page: for a team scope, the queues it
    serves."""
    request = filters.request(**changes)
    return served_queues_request(user, request) or request


def heatmap(user, filters: Filters) -> dict:
    """Offered contacts by local weekday and hour, from the hour rollup (one query, its
    rows as many as the period's hours times the queues, teams and channels)."""
    request = _queue_side(user, filters)
    level = level_of(user, request)
    rows = scope_rows(user, ContactHour.objects.all(), has_agent=False, has_queue=True,
                      level=level).filter(day__gte=filters.start, day__lte=filters.end)  # fmt: skip
    rows = filter_rows(rows, request, fields={"queue", "team", "channel"})
    counts = [[0] * 24 for _ in WEEKDAYS]
    if level in (TEAM, AGENT):  # offered belongs to queues: a team without any has none
        rows = rows.none()
    for row in (
        rows.annotate(weekday=ExtractIsoWeekDay("day"))
        .values("weekday", "hour")
        .annotate(offered=Sum("offered"))
        .order_by()
    ):
        counts[row["weekday"] - 1][row["hour"]] += row["offered"]
    return charts.volume_heatmap(WEEKDAYS, list(range(24)), counts)


# Series a higher app draws beside the intraday chart's offered bars (forecasting adds
# its forecast in its apps.py ready()): each a callable (user, filters) -> None or
# {"name", "x" (local period starts, ISO, as the bars), "y" (contacts per period)}.
INTRADAY_OVERLAYS = []


def intraday_overlay(source):
    """Register an overlay source for the intraday chart (once, however often called)."""
    if source not in INTRADAY_OVERLAYS:
        INTRADAY_OVERLAYS.append(source)
    return source


def intraday_chart(user, filters: Filters) -> dict:
    rows = scope_series(user, filters.request(start=filters.day, end=filters.day, granularity=filters.grain,
                                              kpis=("offered", "service_level", "abandonment_rate")))  # fmt: skip
    overlays = [series for source in INTRADAY_OVERLAYS if (series := source(user, filters))]
    return charts.intraday(
        [row["period_start"].isoformat() for row in rows],
        [row["kpis"]["service_level"] for row in rows],
        [row["kpis"]["abandonment_rate"] for row in rows],
        [row["kpis"]["offered"] for row in rows],
        title=f"Intraday by {GRAINS[filters.grain]}",
        overlays=overlays,
    )


def breakdown(user, filters: Filters, group_by: str) -> list[dict]:
    """A table of KPIs by queue, channel or team, each cell with the link to its own
    contacts: the page's filters and scope, with the row's own value."""
    rows = kpi_series(user, filters.request(group_by=group_by, kpis=TABLE_KPIS))
    waits = {}
    if group_by == "team" and not filters.channels:
        # A team answers calls and e-mails alike: its waits are read per kind of channel.
        waits = {
            row["group"]["team"]: row["kpis"]
            for row in kpi_series(user, filters.request(
                group_by="team", kpis=SPLIT_KPIS, channels=definitions.REAL_TIME_CHANNELS))
        }  # fmt: skip
    plural = {"queue": "queues", "team": "teams", "channel": "channels"}[group_by]
    result = []
    for row in rows:
        name = row["group"][group_by]
        if name is None or not (
            row["components"]["offered"] or row["components"]["outbound_handled"]
        ):
            continue
        values = dict(row["kpis"])
        for key in SPLIT_KPIS:
            if name in waits and key in values:
                values[key] = waits[name][key]
        scope = drill_scope(user, replace(filters, **{plural: (name,)}), {})[False]
        result.append({
            "name": name, "kpis": values, "not_applicable": row["not_applicable"],
            "href": drill_href(None, filters.start, filters.end, **scope),
            "hrefs": {key: drill_href(definitions.BY_KEY[key], filters.start, filters.end, **scope)
                      for key in TABLE_KPIS},
        })  # fmt: skip
    return result


def _real_time_spark(user, filters: Filters):
    """The waits' trend over voice and chat only, unless the page chose its channels."""
    if filters.channels:
        return None
    granularity = "hour" if filters.single_day else "day"
    return scope_series(user, filters.request(granularity=granularity, kpis=SPLIT_KPIS,
                                              channels=definitions.REAL_TIME_CHANNELS))  # fmt: skip


def overview(user, filters: Filters) -> dict:
    tile_rows, spark, targets, compare, served = tiles(user, filters)
    scope = drill_scope(user, filters, {})[False]
    return {
        "tiles": tile_rows,
        "empty": not any(tile["value"] for tile in tile_rows),
        # A chart point leads to its day's contacts (dashboard.js adds the day).
        "chart_drill": contacts_url(**scope, **{"from": "chart"}),
        "compare": compare,
        "queues_served": served,
        "trends": trend_charts(spark, targets, _real_time_spark(user, filters)),
        "heatmap": heatmap(user, filters),
        "intraday": intraday_chart(user, filters),
        "tables": {
            "queue": breakdown(user, filters, "queue"),
            "channel": breakdown(user, filters, "channel"),
            "team": breakdown(user, filters, "team"),
        },
        "table_kpis": [definitions.BY_KEY[key] for key in TABLE_KPIS],
    }


# -- what makes a KPI that no contact list explains ------------------------------------------

# The components each explaining view shows, per agent, with their column names.
EXPLAIN_COLUMNS = {
    "states": ("staffed_seconds", "available_seconds", "on_contact_seconds", "acw_seconds",
               "break_seconds", "other_seconds", "handled", "outbound_handled"),
    "schedule": ("scheduled_seconds", "adherent_seconds"),
    "evaluations": ("qa_evaluations", "qa_critical_fails", "qa_points", "qa_possible"),
}  # fmt: skip
COMPONENT_LABELS = {
    "staffed_seconds": "Logged in", "available_seconds": "Available",
    "on_contact_seconds": "On contact", "acw_seconds": "After-contact work",
    "break_seconds": "Break, lunch", "other_seconds": "Meeting, training, other",
    "handled": "Handled", "outbound_handled": "Outbound ended",
    "scheduled_seconds": "Scheduled", "adherent_seconds": "In adherence",
    "qa_evaluations": "Evaluations", "qa_critical_fails": "Critical fails",
    "qa_points": "Points", "qa_possible": "Possible points",
}  # fmt: skip


def explain(user, kpi: definitions.Kpi, request: SeriesRequest) -> dict:
    """The rows behind a KPI that no contact list can explain, and their total: the
    agents' state or schedule seconds or their contacts' evaluations (the total row is
    the tile's own number), or the cost entries pro-rated to the period."""
    [total] = kpi_series(user, replace(request, group_by=None))
    result = {"kpi": kpi, "total": total, "kind": kpi.explained_by}
    if kpi.explained_by == "costs":
        result["entries"] = cost_entries(user, request)
        return result
    rows = kpi_series(user, replace(request, group_by="agent"))
    result["columns"] = EXPLAIN_COLUMNS[kpi.explained_by]
    result["labels"] = [COMPONENT_LABELS[name] for name in result["columns"]]
    result["rows"] = [
        row for row in rows
        if row["group"]["agent"] is not None
        and any(row["components"][name] for name in result["columns"])
    ]  # fmt: skip
    return result


# -- team, agent and targets pages --------------------------------------------------------

AGENT_KPIS = ("handled", "aht", "asa", "transfer_rate", "fcr", "csat", "nps", "occupancy",
              "utilization", "adherence", "contacts_per_hour", "quality_score",
              "critical_fail_rate")  # fmt: skip


def team_page(team, filters: Filters, leader_kpi: str | None) -> dict:
    """A team against the center, its agents with outlier flags, and a leaderboard."""
    request = filters.request(teams=(team.name,), queues=(), channels=(), kpis=AGENT_KPIS)
    [mine] = kpi_series(None, request)
    [center] = kpi_series(None, filters.request(teams=(), queues=(), channels=(), kpis=AGENT_KPIS))
    agents = kpi_series(None, filters.request(teams=(team.name,), queues=(), channels=(),
                                              group_by="agent", kpis=AGENT_KPIS))  # fmt: skip
    # Speed of answer per agent over voice and chat (e-mail hours would swamp it).
    waits = {
        row["group"]["agent"]: row["kpis"]["asa"]
        for row in kpi_series(None, filters.request(teams=(team.name,), queues=(),
                                                    channels=definitions.REAL_TIME_CHANNELS,
                                                    group_by="agent", kpis=("asa",)))
    }  # fmt: skip
    for row in agents:
        row["kpis"]["asa"] = waits.get(row["group"]["agent"])
    outliers = agent_outliers(team, filters.start, filters.end, rows=agents)
    flags = {row["agent"]: row["kpis"] for row in outliers}
    kpi = leaderboards.chosen_kpi(leader_kpi)
    board = leaderboards.rank(leaderboards.agent_entries(agents, kpi), kpi,
                              minimum=leaderboards.min_handled())  # fmt: skip
    # Agents by name, as on the leaderboard (its entries hold each agent's display name).
    names = {entry["login"]: entry["name"] for entry in board.rows}
    rows = [
        {"login": row["group"]["agent"], "name": names[row["group"]["agent"]],
         "kpis": row["kpis"], "flags": flags.get(row["group"]["agent"], {})}
        for row in agents if row["group"]["agent"] is not None
    ]  # fmt: skip
    mine_split = channel_split(None, replace(request, kpis=SPLIT_KPIS))
    center_split = channel_split(None, filters.request(teams=(), queues=(), channels=(),
                                                       kpis=SPLIT_KPIS))  # fmt: skip
    comparison = []
    for key in AGENT_KPIS:
        shown = definitions.BY_KEY[key]
        if key not in mine_split:
            comparison.append({"kpi": shown, "team": mine["kpis"][key],
                               "center": center["kpis"][key], "channels": ""})  # fmt: skip
            continue
        comparison += [
            {"kpi": shown, "team": mine_split[key][group], "center": center_split[key][group],
             "channels": label}
            for group, label in CHANNEL_GROUPS.items()
        ]  # fmt: skip
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
    split = channel_split(None, filters.request(agents=(agent.login,), teams=(), queues=(),
                                                channels=(), kpis=SPLIT_KPIS))  # fmt: skip
    return {"total": total["kpis"], "figures": figures, "provisional": total["provisional"],
            "split": split,
            "agent_kpis": [definitions.BY_KEY[key] for key in AGENT_KPIS]}  # fmt: skip


def explain_request(params) -> tuple[SeriesRequest, list[str]]:
    """The period and scope of an explaining view from its URL (as drill_href writes it);
    a bad date falls back to the last 7 days and says so."""
    errors = []
    today = local_today()
    try:
        start = date.fromisoformat(params.get("start") or "")
        end = date.fromisoformat(params.get("end") or "")
        if end < start or (end - start).days > 366:
            raise ValueError
    except ValueError:
        errors.append("Pick a period as two dates, at most a year apart: showing the last 7 days.")
        start, end = period_range("last7", today)
    values = {name: text_filters(params, name) for name in ("queue", "team", "agent", "channel")}
    request = SeriesRequest(start=start, end=end, queues=values["queue"], teams=values["team"],
                            agents=values["agent"], channels=values["channel"])  # fmt: skip
    return request, errors
