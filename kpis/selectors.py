"""Reads for the kpis app: KPI series from the rollup tables, never from raw contacts."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import TruncDate, TruncHour, TruncMonth, TruncWeek
from django.utils import timezone

from agents import access
from agents.models import Agent, AgentStateEvent, Team
from interactions.models import CostEntry, Queue
from kpis import definitions
from kpis.models import AgentDay, ContactDay, ContactInterval, StateInterval, Target
from scheduling.models import Shift

GRANULARITIES = ("interval", "hour", "day", "week", "month", "total")
GROUPS = ("queue", "team", "agent", "channel")
INTRADAY = ("interval", "hour")


def database_overview(user) -> dict:
    """What the database holds, limited to what the user may see.

    One aggregate query per table, whatever the size of the tables.
    """
    contacts = access.visible_interactions(user).aggregate(
        total=Count("pk"),
        surveyed=Count("pk", filter=Q(csat__isnull=False) | Q(nps__isnull=False)),
        first=Min("arrived_at"),
        last=Max("arrived_at"),
    )
    agents = access.visible_agents(user)
    return {
        "teams": access.visible_teams(user).count(),
        "agents": agents.count(),
        "queues": access.visible_queues(user).count(),
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


def _zone():
    return timezone.get_default_timezone()


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_zone())


def period_starts(request: SeriesRequest) -> list[datetime]:
    """Every period of the range, in local time, so a series has no gaps."""
    zone = _zone()
    first, after = local_midnight(request.start), local_midnight(request.end + timedelta(days=1))
    if request.granularity == "total":
        return [first]
    if request.granularity in INTRADAY:
        step = timedelta(minutes=15 if request.granularity == "interval" else 60)
        moment, end, starts = first.astimezone(UTC), after.astimezone(UTC), []
        while moment < end:
            starts.append(moment.astimezone(zone))
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


def scope_rows(user, rows, *, has_team=True, has_agent=True):
    """Limit rollup rows to what the user may see (None: an internal read, no limit)."""
    if user is None or access.is_manager(user):
        return rows
    condition = Q(pk__in=[])
    if access.is_supervisor(user) and has_team:
        condition |= Q(team__in=access.visible_teams(user))
    if access.is_agent(user) and has_agent:
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


def _period_expression(request: SeriesRequest, field: str, day_table: bool):
    zone = _zone()
    if request.granularity == "interval":
        return F(field)
    if request.granularity == "hour":
        return TruncHour(field, tzinfo=zone)
    if day_table:
        return {"day": F(field), "week": TruncWeek(field), "month": TruncMonth(field)}[
            request.granularity
        ]
    return {"day": TruncDate(field, tzinfo=zone), "week": TruncWeek(field, tzinfo=zone),
            "month": TruncMonth(field, tzinfo=zone)}[request.granularity]  # fmt: skip


def _as_local_start(value) -> datetime:
    if isinstance(value, datetime):
        return (
            value.astimezone(_zone()) if timezone.is_aware(value) else value.replace(tzinfo=_zone())
        )
    return local_midnight(value)


def _aggregate(rows, request: SeriesRequest, names, *, time_field, day_table):
    """Summed components per (period, group) in SQL."""
    sums = {
        name: (Max(name) if name in definitions.MAX_COMPONENTS else Sum(name)) for name in names
    }
    keys = []
    if request.granularity != "total":
        rows = rows.annotate(period=_period_expression(request, time_field, day_table))
        keys.append("period")
    if request.group_by:
        keys.append(f"{request.group_by}_id" if request.group_by != "channel" else "channel")
    if not keys:  # one total: values() without fields would group by every column
        return {(None, None): rows.aggregate(**sums)}
    result = {}
    for row in rows.values(*keys).annotate(**sums).order_by():
        period = _as_local_start(row["period"]) if "period" in row else None
        group = row.get(keys[-1]) if request.group_by else None
        result[(period, group)] = {name: row[name] for name in names}
    return result


def _contact_source(user, request: SeriesRequest):
    """The smallest rollup table that has the dimensions the request needs."""
    needs = {request.group_by} if request.group_by else set()
    if user is not None and not (access.is_manager(user) or access.is_supervisor(user)):
        needs.add("agent")  # an agent's own numbers are read by agent
    needs |= {name for name, values in (("queue", request.queues), ("team", request.teams),
              ("agent", request.agents), ("channel", request.channels)) if values}  # fmt: skip
    if request.granularity in INTRADAY:
        return (
            ContactInterval.objects.all(),
            "interval_start",
            False,
            {"queue", "team", "agent", "channel"},
        )
    if "agent" not in needs:
        return ContactDay.objects.all(), "day", True, {"queue", "team", "channel"}
    if needs <= {"agent", "team"}:
        return AgentDay.objects.all(), "day", True, {"agent", "team"}
    return (
        ContactInterval.objects.all(),
        "interval_start",
        False,
        {"queue", "team", "agent", "channel"},
    )


def _state_source(request: SeriesRequest):
    if request.granularity in INTRADAY:
        return StateInterval.objects.all(), "interval_start", False
    return AgentDay.objects.all(), "day", True


def _range_filter(rows, request: SeriesRequest, time_field: str, day_table: bool):
    if day_table:
        return rows.filter(
            **{f"{time_field}__gte": request.start, f"{time_field}__lte": request.end}
        )
    start = local_midnight(request.start)
    end = local_midnight(request.end + timedelta(days=1))
    return rows.filter(**{f"{time_field}__gte": start, f"{time_field}__lt": end})


def kpi_series(user, request: SeriesRequest) -> list[dict]:
    """KPIs per period (and group) for what the user may see, with no gaps."""
    rows, time_field, day_table, fields = _contact_source(user, request)
    rows = scope_rows(user, rows, has_agent="agent" in fields)
    rows = filter_rows(_range_filter(rows, request, time_field, day_table), request, fields=fields)
    contacts = _aggregate(
        rows, request, definitions.CONTACT_COMPONENTS, time_field=time_field, day_table=day_table
    )

    states = {}
    # Agent states belong to agents and teams, not to queues or channels.
    if request.group_by in (None, "team", "agent") and not (request.queues or request.channels):
        state_rows, state_time, state_day = _state_source(request)
        state_rows = scope_rows(user, state_rows)
        state_rows = filter_rows(_range_filter(state_rows, request, state_time, state_day), request,
                               fields={"team", "agent"})  # fmt: skip
        states = _aggregate(state_rows, request, definitions.STATE_COMPONENTS, time_field=state_time,
                            day_table=state_day)  # fmt: skip

    groups = sorted(
        {group for _period, group in (*contacts, *states)}, key=lambda g: (g is None, str(g))
    )
    if not request.group_by:
        groups = [None]
    labels = _group_labels(request.group_by, groups)
    costs = _period_costs(user, request)
    keys = request.kpis
    results = []
    for period in period_starts(request):
        period_key = period if request.granularity != "total" else None
        for group in groups:
            components = dict.fromkeys(definitions.CONTACT_COMPONENTS, 0)
            components["wait_max"] = None
            components.update(contacts.get((period_key, group), {}))
            components.update(dict.fromkeys(definitions.STATE_COMPONENTS, 0))
            components.update(states.get((period_key, group), {}))
            for name, value in components.items():
                if value is None and name != "wait_max":
                    components[name] = 0
            cost = costs.get((period, group if request.group_by == "team" else None))
            components["period_cost"] = float(cost) if cost is not None else None
            values = {}
            for kpi in definitions.KPIS:
                if keys is not None and kpi.key not in keys:
                    continue
                if kpi.daily_only and (request.granularity in INTRADAY or cost is None):
                    values[kpi.key] = None
                else:
                    values[kpi.key] = kpi.compute(components)
            results.append({
                "period_start": period,
                "group": {request.group_by: labels.get(group)} if request.group_by else {},
                "kpis": values,
                "components": components,
            })  # fmt: skip
    return results


def _group_labels(group_by, groups) -> dict:
    ids = [group for group in groups if group is not None]
    if group_by == "queue":
        return dict(Queue.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group_by == "team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group_by == "agent":
        return dict(Agent.objects.filter(pk__in=ids).values_list("pk", "login"))
    return {group: group for group in groups}


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
    if user is not None and not access.is_manager(user):
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
        length = (entry.end_date - entry.start_date).days + 1
        for start, first, last in bounds:
            overlap = (min(last, entry.end_date) - max(first, entry.start_date)).days + 1
            if overlap > 0:
                share = entry.amount * overlap / length
                costs[(start, None)] += share
                if request.group_by == "team":
                    costs[(start, entry.team_id)] += share
    if request.group_by == "team":
        return {key: value for key, value in costs.items() if key[1] is not None}
    return dict(costs)


# -- targets ------------------------------------------------------------------------------

GREEN, AMBER, RED, NO_DATA = "green", "amber", "red", "no data"


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
    if access.is_manager(user):
        return targets
    return targets.filter(
        Q(scope="center")
        | Q(queue__in=access.visible_queues(user))
        | Q(team__in=access.visible_teams(user))
        | Q(agent__in=access.visible_agents(user))
    )


def targets_status(user, start: date, end: date) -> list[dict]:
    """Each target in force during the period, with its actual value and status.

    The actual value is the KPI over the period, clipped to the target's own dates, for
    the target's whole scope (a supervisor sees the center target's real value).
    """
    today = timezone.localdate()
    rows = []
    for target in (
        visible_targets(user)
        .filter(valid_from__lte=end)
        .filter(Q(due_by__isnull=True) | Q(due_by__gte=start))
    ):
        kpi = definitions.BY_KEY[target.kpi]
        first, last = max(start, target.valid_from), min(end, target.due_by or end)
        scope_filter = {
            "queue": {"queues": (target.queue.name,)} if target.queue else {},
            "team": {"teams": (target.team.name,)} if target.team else {},
            "agent": {"agents": (target.agent.login,)} if target.agent else {},
        }.get(target.scope, {})
        [row] = kpi_series(
            None, SeriesRequest(start=first, end=last, kpis=(kpi.key,), **scope_filter)
        )
        actual = row["kpis"][kpi.key]
        rows.append({
            "id": target.pk,
            "kpi": kpi.key,
            "label": kpi.label,
            "scope": target.scope,
            "scope_name": target.scope_label,
            "target": target.value,
            "warning_margin": target.warning_margin,
            "actual": actual,
            "distance": None if actual is None else actual - target.value,
            "status": target_status(kpi, target.value, target.warning_margin, actual),
            "valid_from": target.valid_from,
            "due_by": target.due_by,
            "days_left": (target.due_by - today).days if target.due_by else None,
        })  # fmt: skip
    return rows


# -- outliers -----------------------------------------------------------------------------


def agent_outliers(team, start: date, end: date, *, min_handled=10, threshold=None) -> list[dict]:
    """Each agent's z-score per agent-level KPI against their team, over the period.

    Agents with fewer than `min_handled` handled contacts are left out; the team's mean
    and population standard deviation come from the rest; |z| >= threshold (setting
    KPI_OUTLIER_Z, default 2) is an outlier, good or bad by the KPI's direction.
    """
    threshold = threshold if threshold is not None else getattr(settings, "KPI_OUTLIER_Z", 2.0)
    rows = kpi_series(
        None, SeriesRequest(start=start, end=end, group_by="agent", teams=(team.name,))
    )
    rows = [row for row in rows if row["components"]["handled"] >= min_handled]
    keys = [kpi.key for kpi in definitions.KPIS if kpi.direction and not kpi.daily_only]
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
