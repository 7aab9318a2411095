"""Reads for the kpis app: KPI series from the rollup tables, never from raw contacts."""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import Case, Count, DateTimeField, F, Max, Min, Q, QuerySet, Sum, When
from django.db.models.functions import (
    ExtractMinute,
    Mod,
    TruncDate,
    TruncHour,
    TruncMonth,
    TruncWeek,
)
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from agents import access
from agents.models import Agent, AgentStateEvent, Team
from core import roles
from core.localtime import local_midnight, local_today
from core.localtime import zone as local_zone
from interactions.models import CostEntry, Interaction, Queue
from kpis import definitions
from kpis.models import (
    AgentDay,
    ContactDay,
    ContactHour,
    ContactInterval,
    StateInterval,
    Target,
)
from scheduling.models import Shift

GRANULARITIES = ("interval", "half_hour", "hour", "day", "week", "month", "total")
GROUPS = ("queue", "team", "agent", "channel")
# Grains read from the 15-minute tables, with their length.
INTRADAY = {"interval": 15, "half_hour": 30, "hour": 60}
# Whose numbers a request reads (see level_of).
CENTER, QUEUE, TEAM, AGENT = "center", "queue", "team", "agent"


def database_overview(user) -> dict:
    """What the database holds, limited to what the user may see.

    One aggregate query per table, whatever the size of the tables.
    """
    contacts = Interaction.objects.visible_to(user).aggregate(
        total=Count("pk"),
        surveyed=Count("pk", filter=Q(csat__isnull=False) | Q(nps__isnull=False)),
        first=Min("arrived_at"),
        last=Max("arrived_at"),
    )
    agents = access.visible_agents(user)
    return {
        "teams": access.visible_teams(user).count(),
        "agents": agents.count(),
        "queues": Queue.objects.visible_to(user).count(),
        "contacts": contacts["total"],
        "surveyed_contacts": contacts["surveyed"],
        "first_contact_at": contacts["first"],
        "last_contact_at": contacts["last"],
        "state_events": AgentStateEvent.objects.filter(agent__in=agents).count(),
        "shifts": Shift.objects.filter(agent__in=agents).count(),
    }


@dataclass
class SeriesRequest:
    start: date
    end: date
    granularity: str = "total"
    group_by: str | None = None
    queues: tuple = ()
    teams: tuple = ()
    agents: tuple = ()
    channels: tuple = ()
    kpis: tuple | None = None
    # Only what happened before this moment (a comparison with a day still under way).
    until: datetime | None = None


def period_starts(request: SeriesRequest) -> list[datetime]:
    """Every period of the range, in local time, so a series has no gaps."""
    zone = local_zone()
    first, after = local_midnight(request.start), local_midnight(request.end + timedelta(days=1))
    if request.granularity == "total":
        return [first]
    if request.granularity in INTRADAY:
        step = timedelta(minutes=INTRADAY[request.granularity])
        moment, end, starts = first.astimezone(UTC), after.astimezone(UTC), []
        while moment < end:
            local = moment.astimezone(zone)
            # Hours are local hours (TruncHour, ContactHour): the hour a fall-back repeats
            # is one period, not two that would each read it whole.
            if not (request.granularity == "hour" and local.fold):
                starts.append(local)
            moment += step
        return starts
    days = [
        request.start + timedelta(days=n) for n in range((request.end - request.start).days + 1)
    ]
    if request.granularity == "week":
        days = sorted({day - timedelta(days=day.weekday()) for day in days})
    elif request.granularity == "month":
        days = sorted({day.replace(day=1) for day in days})
    return [local_midnight(day) for day in days]


def level_of(user, request: SeriesRequest) -> str:
    """Whose numbers the request reads: one agent's (or agents'), a team's, a queue's or
    the whole center's. A team's numbers are the contacts its agents handled and its
    agents' states; a queue's are every contact offered to it (docs/kpis.md, "Teams and
    queues"). A supervisor reads their teams unless they ask for queues; an agent reads
    themselves."""
    if request.agents or request.group_by == AGENT:
        return AGENT
    if user is not None and not (roles.is_manager(user) or roles.is_supervisor(user)):
        return AGENT
    if request.teams or request.group_by == TEAM:
        return TEAM
    if request.queues or request.group_by == QUEUE:
        return QUEUE
    if user is not None and not roles.is_manager(user):
        return TEAM
    return CENTER


def not_applicable(level: str) -> tuple[str, ...]:
    """KPIs with no meaning at this level: queue-side ones below a queue (unanswered
    contacts have no team or agent), agent-state ones at a queue (states have no queue)."""
    if level in (TEAM, AGENT):
        return tuple(kpi.key for kpi in definitions.KPIS if kpi.level == definitions.QUEUE)
    if level == QUEUE:
        return tuple(
            kpi.key for kpi in definitions.KPIS if kpi.explained_by in ("states", "schedule")
        )
    return ()


def scope_rows(user, rows, *, has_team=True, has_agent=True, has_queue=False, level=None):
    """Limit rollup rows to what the user may see (None: an internal read, no limit).

    A supervisor reads their teams' rows, or, for a queue-level read, every row of the
    queues their teams serve (a queue's numbers include the contacts nobody answered).
    """
    if user is None or roles.is_manager(user):
        return rows
    condition = Q(pk__in=[])
    if roles.is_supervisor(user):
        if level == QUEUE and has_queue:
            condition |= Q(queue__in=Queue.objects.visible_to(user))
        elif has_team:
            condition |= Q(team__in=access.visible_teams(user))
    if roles.is_agent(user) and has_agent and level != QUEUE:
        agent = access.agent_of(user)
        if agent is not None:
            condition |= Q(agent=agent)
    return rows.filter(condition)


def filter_rows(rows, request: SeriesRequest, *, fields: set[str]):
    filters = {
        "queue": ("queue__name__in", request.queues),
        "team": ("team__name__in", request.teams),
        "agent": ("agent__login__in", request.agents),
        "channel": ("channel__in", request.channels),
    }
    for name, (lookup, values) in filters.items():
        if values:
            if name not in fields:
                return rows.none()  # this table cannot answer a filter on that dimension
            rows = rows.filter(**{lookup: list(values)})
    return rows


class RollupSource(NamedTuple):
    """A rollup table a read sums: its rows, its time column, what one row covers
    ("interval": 15 UTC minutes, "hour": a local hour of `day`, "day": a local day) and
    the dimensions it keeps."""

    rows: QuerySet
    time_field: str
    grain: str
    fields: set[str]


def _period_expression(request: SeriesRequest, field: str, grain: str):
    zone = local_zone()
    if request.granularity == "interval":
        return F(field)
    if request.granularity == "half_hour":
        # A 15-minute UTC interval is a 15-minute local one (offsets are whole quarter
        # hours); its local half hour starts at it, or 15 minutes before when its local
        # minute is :15 or :45.
        second_quarter = GreaterThanOrEqual(Mod(ExtractMinute(field, tzinfo=zone), 30), 15)
        return Case(
            When(second_quarter, then=F(field) - timedelta(minutes=15)),
            default=F(field),
            output_field=DateTimeField(),
        )
    if request.granularity == "hour":
        return TruncHour(field, tzinfo=zone)
    if grain == "day":
        return {"day": F(field), "week": TruncWeek(field), "month": TruncMonth(field)}[
            request.granularity
        ]
    return {"day": TruncDate(field, tzinfo=zone), "week": TruncWeek(field, tzinfo=zone),
            "month": TruncMonth(field, tzinfo=zone)}[request.granularity]  # fmt: skip


def _period_key(value) -> datetime:
    """A period's start as the key of its sums: in UTC, as the two 01:30 of a fall-back
    are equal in local time (Python compares times of one zone by the clock)."""
    if isinstance(value, datetime):
        local = value if timezone.is_aware(value) else value.replace(tzinfo=local_zone())
    else:
        local = local_midnight(value)
    return local.astimezone(UTC)


def _aggregate(rows, request: SeriesRequest, names, *, time_field, grain):
    """Summed components per (period, group) in SQL. The hour table's rows are grouped
    by their day and hour; each is the local hour that TruncHour would name (the first
    of a repeated hour holds both, as a fall-back's two hours share one row)."""
    sums = {
        name: (Max(name) if name in definitions.MAX_COMPONENTS else Sum(name)) for name in names
    }
    keys = []
    if grain == "hour":
        keys += ["day", "hour"]
    elif request.granularity != "total":
        rows = rows.annotate(period=_period_expression(request, time_field, grain))
        keys.append("period")
    if request.group_by:
        keys.append(f"{request.group_by}_id" if request.group_by != "channel" else "channel")
    if not keys:  # one total: values() without fields would group by every column
        return {(None, None): rows.aggregate(**sums)}
    result = {}
    for row in rows.values(*keys).annotate(**sums).order_by():
        if grain == "hour":
            period = _period_key(datetime.combine(row["day"], time(row["hour"])))
        else:
            period = _period_key(row["period"]) if "period" in row else None
        group = row.get(keys[-1]) if request.group_by else None
        result[(period, group)] = {name: row[name] for name in names}
    return result


def _contact_source(user, request: SeriesRequest) -> RollupSource:
    """The smallest rollup table that has the dimensions the request needs: a day table
    for whole days, the hour table for hours, the 15-minute table for shorter periods, a
    cut short window (`until`) and reads by agent that a day table cannot answer."""
    needs = {request.group_by} if request.group_by else set()
    if user is not None and not (roles.is_manager(user) or roles.is_supervisor(user)):
        needs.add("agent")  # an agent's own numbers are read by agent
    needs |= {name for name, values in (("queue", request.queues), ("team", request.teams),
              ("agent", request.agents), ("channel", request.channels)) if values}  # fmt: skip
    intervals = RollupSource(ContactInterval.objects.all(), "interval_start", "interval",
                             {"queue", "team", "agent", "channel"})  # fmt: skip
    if request.until is not None or request.granularity in ("interval", "half_hour"):
        return intervals
    if "agent" not in needs:
        if request.granularity == "hour":
            return RollupSource(ContactHour.objects.all(), "day", "hour",
                                {"queue", "team", "channel"})  # fmt: skip
        return RollupSource(ContactDay.objects.all(), "day", "day", {"queue", "team", "channel"})
    if needs <= {"agent", "team", "channel"} and request.granularity != "hour":
        return RollupSource(AgentDay.objects.all(), "day", "day", {"agent", "team", "channel"})
    return intervals


def _state_source(request: SeriesRequest) -> RollupSource:
    if request.granularity in INTRADAY or request.until is not None:
        return RollupSource(StateInterval.objects.all(), "interval_start", "interval",
                            {"agent", "team"})  # fmt: skip
    return RollupSource(AgentDay.objects.all(), "day", "day", {"agent", "team"})


def _range_filter(rows, request: SeriesRequest, time_field: str, grain: str):
    if grain != "interval":  # the day and hour tables hold local days
        return rows.filter(
            **{f"{time_field}__gte": request.start, f"{time_field}__lte": request.end}
        )
    start = local_midnight(request.start)
    end = local_midnight(request.end + timedelta(days=1))
    if request.until is not None:
        end = min(end, request.until)
    return rows.filter(**{f"{time_field}__gte": start, f"{time_field}__lt": end})


def _contact_sums(user, request: SeriesRequest, level: str) -> dict:
    source = _contact_source(user, request)
    rows = scope_rows(user, source.rows, has_agent="agent" in source.fields,
                      has_queue="queue" in source.fields, level=level)  # fmt: skip
    rows = _range_filter(rows, request, source.time_field, source.grain)
    rows = filter_rows(rows, request, fields=source.fields)
    return _aggregate(rows, request, definitions.CONTACT_COMPONENTS, time_field=source.time_field,
                      grain=source.grain)  # fmt: skip


def _state_sums(user, request: SeriesRequest) -> dict:
    # Agent states belong to agents and teams, not to queues or channels.
    if request.group_by not in (None, "team", "agent") or request.queues or request.channels:
        return {}
    source = _state_source(request)
    rows = scope_rows(user, source.rows)
    rows = filter_rows(_range_filter(rows, request, source.time_field, source.grain), request,
                       fields=source.fields)  # fmt: skip
    return _aggregate(rows, request, definitions.STATE_COMPONENTS, time_field=source.time_field,
                      grain=source.grain)  # fmt: skip


def _merged(first: dict, second: dict) -> dict:
    """Component sums of two parts of one period added up (the longest wait: the larger)."""
    merged = {key: dict(values) for key, values in first.items()}
    for key, values in second.items():
        into = merged.setdefault(key, dict.fromkeys(values))
        for name, value in values.items():
            if name in definitions.MAX_COMPONENTS:
                known = [v for v in (into[name], value) if v is not None]
                into[name] = max(known) if known else None
            else:
                into[name] = (into[name] or 0) + (value or 0)
    return merged


def _sums(user, request: SeriesRequest, level: str, reads: set[str]) -> tuple[dict, dict]:
    """Contact and state sums per (period, group), of the families the request reads. A
    total cut short (`until`, a day still under way) reads its whole days from the day
    tables and only the cut day from the 15-minute ones."""

    def read(part):
        return (
            _contact_sums(user, part, level) if "contacts" in reads else {},
            _state_sums(user, part) if "states" in reads else {},
        )

    cut_day = local_today(request.until) if request.until is not None else None
    if request.granularity != "total" or cut_day is None or cut_day <= request.start:
        return read(request)
    if cut_day > request.end:
        return read(replace(request, until=None))
    head = read(replace(request, end=cut_day - timedelta(days=1), until=None))
    tail = read(replace(request, start=cut_day))
    return _merged(head[0], tail[0]), _merged(head[1], tail[1])


def families(request: SeriesRequest) -> set[str]:
    """Which rollups a request must read, from the registry's components of the KPIs it
    asks for: "contacts", "states" and "costs" (a page without a state KPI reads no
    state table)."""
    keys = request.kpis if request.kpis is not None else tuple(definitions.BY_KEY)
    needed = {name for key in keys for name in definitions.BY_KEY[key].components}
    found = set()
    if needed & set(definitions.CONTACT_COMPONENTS):
        found.add("contacts")
    if needed & set(definitions.STATE_COMPONENTS):
        found.add("states")
    if needed & set(definitions.COST_COMPONENTS):
        found.add("costs")
    return found


def _kpi_values(components: dict, request: SeriesRequest, missing, cost_known: bool) -> dict:
    """The requested KPIs of one row's components, by the registry's formulas."""
    values = {}
    for kpi in definitions.KPIS:
        if request.kpis is not None and kpi.key not in request.kpis:
            continue
        if kpi.key in missing or (kpi.daily_only and not cost_known):
            values[kpi.key] = None
        else:
            values[kpi.key] = kpi.compute(components)
    return values


def _components(contacts: dict | None, states: dict | None, cost) -> dict:
    """One row's components: zero where nothing happened; the families not read left
    out (None for a whole family)."""
    components = {}
    if contacts is not None:
        components.update(dict.fromkeys(definitions.CONTACT_COMPONENTS, 0), wait_max=None)
        components.update({k: v for k, v in contacts.items() if v is not None or k == "wait_max"})
    if states is not None:
        components.update(dict.fromkeys(definitions.STATE_COMPONENTS, 0))
        components.update({k: v for k, v in states.items() if v is not None})
    components["period_cost"] = float(cost) if cost is not None else None
    return components


def kpi_series(user, request: SeriesRequest) -> list[dict]:
    """KPIs per period (and group) for what the user may see, with no gaps."""
    level = level_of(user, request)
    reads = families(request)
    contacts, states = _sums(user, request, level, reads)

    # Ids in their order (as numbers: "10" sorts before "9"), names by name, none last.
    groups = sorted(
        {group for _period, group in (*contacts, *states)},
        key=lambda g: (g is None, g if isinstance(g, int) else 0, str(g)),
    )
    if not request.group_by:
        groups = [None]
    labels = _group_labels(request.group_by, groups)
    costs = _period_costs(user, request) if "costs" in reads and request.until is None else {}
    missing = not_applicable(level)
    starts = period_starts(request)
    unsettled = _unsettled(request, starts)
    results = []
    for period in starts:
        period_key = _period_key(period) if request.granularity != "total" else None
        for group in groups:
            cost = costs.get((period, group if request.group_by == "team" else None))
            components = _components(
                contacts.get((period_key, group), {}) if "contacts" in reads else None,
                states.get((period_key, group), {}) if "states" in reads else None,
                cost,
            )
            cost_known = cost is not None and request.granularity not in INTRADAY
            values = _kpi_values(components, request, missing, cost_known)
            results.append({
                "period_start": period,
                "group": {request.group_by: labels.get(group)} if request.group_by else {},
                "kpis": values,
                "components": components,
                "not_applicable": [key for key in missing if key in values],
                "provisional": [key for key in unsettled.get(period, ()) if key in values],
            })  # fmt: skip
    return results


def total_of(user, request: SeriesRequest, rows: list[dict]) -> dict:
    """The total of a series' rows, as kpi_series(granularity="total") would answer it,
    from the rows already read (the overview's tiles are the sums of its sparklines):
    components add up (the longest wait: the largest), costs add up by day."""
    total = replace(request, granularity="total", group_by=None)
    summed = {}
    for row in rows:
        for name, value in row["components"].items():
            if name in definitions.MAX_COMPONENTS:
                known = [v for v in (summed.get(name), value) if v is not None]
                summed[name] = max(known) if known else None
            elif name != "period_cost":
                summed[name] = (summed.get(name) or 0) + (value or 0)
    cost = None
    if "costs" in families(request):
        day_costs = [row["components"]["period_cost"] for row in rows]
        if request.granularity in INTRADAY:  # hours carry no cost: the days' own, once
            cost = _period_costs(user, total).get((local_midnight(request.start), None))
        elif any(value is not None for value in day_costs):
            cost = sum(value for value in day_costs if value is not None)
    summed["period_cost"] = float(cost) if cost is not None else None
    missing = not_applicable(level_of(user, total))
    values = _kpi_values(summed, total, missing, cost is not None)
    provisional = sorted({key for row in rows for key in row["provisional"]})
    return {
        "period_start": local_midnight(request.start),
        "group": {},
        "kpis": values,
        "components": summed,
        "not_applicable": [key for key in missing if key in values],
        "provisional": [key for key in provisional if key in values],
    }


def queues_served(teams) -> tuple[str, ...]:
    """Names of the queues these teams answer (the teams' queues, set in the admin)."""
    names = Queue.objects.filter(teams__in=teams).values_list("name", flat=True)
    return tuple(sorted(set(names)))


def served_queues_request(user, request: SeriesRequest) -> SeriesRequest | None:
    """For a team-level request, the same request for the queues its teams serve."""
    if request.group_by or level_of(user, request) != TEAM:
        return None
    queues = _served_names(user, request.teams)
    if request.queues:  # the page's own queue filter narrows the queues served
        queues = tuple(name for name in queues if name in request.queues)
    return replace(request, teams=(), agents=(), queues=queues) if queues else None


def _served_names(user, teams: tuple) -> tuple[str, ...]:
    """The queues these teams (none: the user's) serve that the user may read; kept on
    the user object, so a page asks once however many series it reads."""
    cache = getattr(user, "_served_queue_names", None) if user is not None else None
    if cache is not None and teams in cache:
        return cache[teams]
    rows = Team.objects.filter(name__in=teams) if teams else None
    if rows is None:
        rows = access.visible_teams(user) if user is not None else Team.objects.none()
    names = queues_served(rows)
    if user is not None:
        visible = set(Queue.objects.visible_to(user).values_list("name", flat=True))
        names = tuple(name for name in names if name in visible)
        user._served_queue_names = {**(cache or {}), teams: names}
    return names


def scope_series(user, request: SeriesRequest) -> list[dict]:
    """kpi_series for a page's scope, read as a person reads a team: its agents' numbers,
    and for the queue-side KPIs (offered, service level, abandonment) those of the queues
    the team serves, named in each row's `queues_served`. Other levels: kpi_series."""
    rows = kpi_series(user, request)
    queue_side = {kpi.key for kpi in definitions.KPIS if kpi.level == definitions.QUEUE}
    if request.kpis is not None and not queue_side & set(request.kpis):
        return rows  # nothing asked for that the queues served would answer
    served = served_queues_request(user, request)
    if served is None:
        return rows
    queue_rows = kpi_series(user, served)
    for row, queue_row in zip(rows, queue_rows, strict=True):
        for key in row["not_applicable"]:
            row["kpis"][key] = queue_row["kpis"][key]
        row["not_applicable"] = []
        row["queues_served"] = list(served.queues)
        row["queue_components"] = queue_row["components"]
    return rows


def scope_total(user, request: SeriesRequest, rows: list[dict]) -> dict:
    """total_of for scope_series rows: the team's own sums, and the queue-side KPIs from
    the sums of the queues it serves."""
    total = total_of(user, request, rows)
    if not rows or "queue_components" not in rows[0]:
        return total
    served = served_queues_request(user, request)
    queue_rows = [{"components": row["queue_components"], "provisional": row["provisional"]}
                  for row in rows]  # fmt: skip
    queue_total = total_of(user, served, queue_rows)
    for key in total["not_applicable"]:
        total["kpis"][key] = queue_total["kpis"][key]
    total.update(not_applicable=[], queues_served=list(served.queues),
                 queue_components=queue_total["components"])  # fmt: skip
    return total


def period_ends(request: SeriesRequest, starts: list[datetime]) -> list[datetime]:
    """Where each period of the series ends (the next one's start; the last: the range's)."""
    after = local_midnight(request.end + timedelta(days=1))
    return [*starts[1:], after] if request.granularity != "total" else [after]


def _unsettled(request: SeriesRequest, starts: list[datetime]) -> dict:
    """KPIs per period that may still change (spec: FCR looks forward over the repeat
    window): a period is final once its end lies that far behind us."""
    now = timezone.now()
    settling = [kpi for kpi in definitions.KPIS if kpi.settles_after_days]
    return {
        start: tuple(
            kpi.key for kpi in settling if end + timedelta(days=kpi.settles_after_days()) > now
        )
        for start, end in zip(starts, period_ends(request, starts), strict=True)
    }


def _group_labels(group_by, groups) -> dict:
    ids = [group for group in groups if group is not None]
    if group_by == "queue":
        return dict(Queue.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group_by == "team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group_by == "agent":
        return dict(Agent.objects.filter(pk__in=ids).values_list("pk", "login"))
    return {group: group for group in groups}


def prorated_cost(entry: CostEntry, first: date, last: date) -> Decimal | None:
    """The part of a cost entry that falls in the days [first, last] (spread evenly over
    its own days); None when they do not overlap."""
    overlap = (min(last, entry.end_date) - max(first, entry.start_date)).days + 1
    if overlap <= 0:
        return None
    return entry.amount * overlap / ((entry.end_date - entry.start_date).days + 1)


def cost_entries(user, request: SeriesRequest) -> list[dict]:
    """The cost entries behind a period's cost, each with its share of the period: the
    rows that explain cost per contact (the same entries and rule as _period_costs)."""
    entries = CostEntry.objects.filter(start_date__lte=request.end, end_date__gte=request.start)
    if user is not None and not roles.is_manager(user):
        entries = entries.filter(team__in=access.visible_teams(user))
    if request.teams:
        entries = entries.filter(team__name__in=request.teams)
    return [
        {"entry": entry, "share": prorated_cost(entry, request.start, request.end)}
        for entry in entries.select_related("team").order_by("start_date", "description")
    ]


def _period_costs(user, request: SeriesRequest) -> dict:
    """Cost per (period start, team id or None for the whole scope), pro-rated by day.

    A cost entry spreads evenly over its days; a period gets the days it holds. Costs are
    known for the center and for teams, not for queues, channels or agents.
    """
    if request.granularity in INTRADAY or request.group_by in ("queue", "agent", "channel"):
        return {}
    if request.queues or request.agents or request.channels:
        return {}
    entries = CostEntry.objects.filter(start_date__lte=request.end, end_date__gte=request.start)
    if user is not None and not roles.is_manager(user):
        entries = entries.filter(team__in=access.visible_teams(user))
    if request.teams:
        entries = entries.filter(team__name__in=request.teams)
    starts = period_starts(request)
    bounds = []
    for index, start in enumerate(starts):
        first = start.date()
        last = (
            starts[index + 1].date() - timedelta(days=1) if index + 1 < len(starts) else request.end
        )
        bounds.append((start, max(first, request.start), min(last, request.end)))
    costs = defaultdict(lambda: Decimal(0))
    for entry in entries:  # a handful of rows a month: summed here, pro-rated by day
        for start, first, last in bounds:
            share = prorated_cost(entry, first, last)
            if share is not None:
                costs[(start, None)] += share
                if request.group_by == "team":
                    costs[(start, entry.team_id)] += share
    if request.group_by == "team":
        return {key: value for key, value in costs.items() if key[1] is not None}
    return dict(costs)


# -- targets ------------------------------------------------------------------------------

GREEN, AMBER, RED, NO_DATA = "green", "amber", "red", "no data"
PROVISIONAL = "provisional"


def target_status(kpi: definitions.Kpi, target: float, margin: float, actual) -> str:
    """Met is green, within the margin amber, else red; the direction comes from the KPI.

    A band KPI (occupancy) is met within the margin of its value, amber within twice it.
    """
    if actual is None:
        return NO_DATA
    if kpi.direction == definitions.BAND:
        gap = abs(actual - target)
        return GREEN if gap <= margin else AMBER if gap <= 2 * margin else RED
    shortfall = target - actual if kpi.direction == definitions.HIGHER else actual - target
    if shortfall <= 0:
        return GREEN
    return AMBER if shortfall <= margin else RED


def visible_targets(user):
    targets = Target.objects.select_related("queue", "team", "agent")
    if roles.is_manager(user):
        return targets
    return targets.filter(
        Q(scope="center")
        | Q(queue__in=Queue.objects.visible_to(user))
        | Q(team__in=access.visible_teams(user))
        | Q(agent__in=access.visible_agents(user))
    )


# A scope's own target wins over a wider one's: an agent's, then a queue's or a team's,
# then the center's.
_SPECIFIC_FIRST = {"agent": 0, "queue": 1, "team": 2, "center": 3}


def targets_for(first: date, last: date | None = None, *, queue=None, team=None, agent=None):
    """The target each KPI is measured against, by KPI key, for one scope over the days
    [first, last]: the scope's own target in force, else its team's (for an agent), else
    the center's. The one rule every page, the wallboard and the alerts follow."""
    condition = Q(scope="center")
    if agent is not None:
        condition |= Q(scope="agent", agent=agent)
        team = team or agent.team
    if team is not None:
        condition |= Q(scope="team", team=team)
    if queue is not None:
        condition |= Q(scope="queue", queue=queue)
    chosen = {}
    # Newest first: among targets of one scope in force together, the latest counts.
    for target in (
        Target.objects.in_force(first, last).filter(condition).order_by("-valid_from", "-pk")
    ):
        current = chosen.get(target.kpi)
        if current is None or _SPECIFIC_FIRST[target.scope] < _SPECIFIC_FIRST[current.scope]:
            chosen[target.kpi] = target
    return chosen


def _target_row(target, kpi, row, today) -> dict:
    actual = row["kpis"][kpi.key]
    provisional = kpi.key in row["provisional"]
    status = target_status(kpi, target.value, target.warning_margin, actual)
    if provisional and status != NO_DATA:
        status = PROVISIONAL  # can still fall: not judged yet
    return {
        "id": target.pk,
        "kpi": kpi.key,
        "label": kpi.label,
        "scope": target.scope,
        "scope_name": target.scope_label,
        "target": target.value,
        "warning_margin": target.warning_margin,
        "actual": actual,
        "distance": None if actual is None else actual - target.value,
        "status": status,
        "provisional": provisional,
        "valid_from": target.valid_from,
        "due_by": target.due_by,
        "days_left": (target.due_by - today).days if target.due_by else None,
    }


def targets_status(user, start: date, end: date) -> list[dict]:
    """Each target in force during the period, with its actual value and status.

    The actual value is the KPI over the period, clipped to the target's own dates, for
    the target's whole scope; a team's queue-side KPIs (service level, abandonment) are
    those of the queues it serves. An agent sees the targets they are measured against
    (their own, else their team's, else the center's) with their own numbers.
    """
    today = local_today()
    if not (roles.is_manager(user) or roles.is_supervisor(user)):
        agent = access.agent_of(user)
        if agent is None:
            return []
        chosen = targets_for(start, end, agent=agent)
        [row] = kpi_series(None, SeriesRequest(start=start, end=end, agents=(agent.login,)))
        return [
            _target_row(target, definitions.BY_KEY[key], row, today)
            for key, target in sorted(chosen.items())
        ]
    rows = []
    for target, last_day in _effective_targets(visible_targets(user).in_force(start, end)):
        if last_day < start:
            continue  # a newer target of the same scope took over before the period
        kpi = definitions.BY_KEY[target.kpi]
        first, last = max(start, target.valid_from), min(end, last_day)
        scope_filter = {
            "queue": {"queues": (target.queue.name,)} if target.queue else {},
            "team": {"teams": (target.team.name,)} if target.team else {},
            "agent": {"agents": (target.agent.login,)} if target.agent else {},
        }.get(target.scope, {})
        [row] = scope_series(
            None, SeriesRequest(start=first, end=last, kpis=(kpi.key,), **scope_filter)
        )
        rows.append(_target_row(target, kpi, row, today))
    return rows


def _effective_targets(targets):
    """Each target with the last day it counts: its due date, or the day before a newer
    target of the same KPI and scope takes over (the rule of targets_for: the latest
    valid from wins)."""
    targets = sorted(targets, key=lambda t: (t.kpi, t.scope, t.queue_id, t.team_id,
                                             t.agent_id, t.valid_from, t.pk))  # fmt: skip
    result = []
    for index, target in enumerate(targets):
        last = target.due_by or date.max
        following = targets[index + 1] if index + 1 < len(targets) else None
        if following is not None and (following.kpi, following.scope, following.queue_id,
                                      following.team_id, following.agent_id) == (
            target.kpi, target.scope, target.queue_id, target.team_id, target.agent_id
        ):  # fmt: skip
            last = min(last, following.valid_from - timedelta(days=1))
        result.append((target, last))
    return result


# -- outliers -----------------------------------------------------------------------------


def agent_outliers(
    team, start: date, end: date, *, rows=None, min_handled=10, threshold=None
) -> list[dict]:
    """Each agent's z-score per agent-level KPI against their team, over the period.

    Agents with fewer than `min_handled` handled contacts are left out; the team's mean
    and population standard deviation come from the rest; |z| >= threshold (setting
    KPI_OUTLIER_Z, default 2) is an outlier, good or bad by the KPI's direction. `rows`:
    the team's rows by agent when the caller has read them already (the team page).
    """
    threshold = threshold if threshold is not None else getattr(settings, "KPI_OUTLIER_Z", 2.0)
    if rows is None:
        rows = kpi_series(
            None, SeriesRequest(start=start, end=end, group_by="agent", teams=(team.name,))
        )
    rows = [row for row in rows if row["components"]["handled"] >= min_handled]
    keys = [kpi.key for kpi in definitions.KPIS if kpi.direction and not kpi.daily_only
            and all(kpi.key in row["kpis"] for row in rows)]  # fmt: skip
    stats = {}
    for key in keys:
        values = [row["kpis"][key] for row in rows if row["kpis"][key] is not None]
        if len(values) >= 2:
            mean = sum(values) / len(values)
            spread = (sum((value - mean) ** 2 for value in values) / len(values)) ** 0.5
            stats[key] = (mean, spread)
    result = []
    for row in rows:
        scores = {}
        for key, (mean, spread) in stats.items():
            value = row["kpis"][key]
            if value is None or spread == 0:
                continue
            z = (value - mean) / spread
            direction = definitions.BY_KEY[key].direction
            good = (
                (z > 0) == (direction == definitions.HIGHER)
                if direction != definitions.BAND
                else None
            )
            scores[key] = {"z": z, "outlier": abs(z) >= threshold, "good": good}
        result.append(
            {
                "agent": row["group"]["agent"],
                "handled": row["components"]["handled"],
                "kpis": scores,
            }
        )
    return result
