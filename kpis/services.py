"""Rolling raw rows up into KPI components.

The unit of work is a local day of the contact center (TIME_ZONE): its 15-minute UTC
intervals are recomputed from the raw tables with one `INSERT ... SELECT ... GROUP BY`
per table, and its day rows from those intervals, all in one transaction after deleting
what was there. So a rollup can run twice, concurrently (a lock serialises them) or after
a crash, and the numbers come out the same; a group that no longer exists (a contact
moved to another queue) disappears instead of lingering.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, Exists, F, Func, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from agents.models import AgentStateEvent
from interactions import outcomes
from interactions.models import Direction, Interaction
from interactions.outcomes import repeat_window
from kpis.definitions import CONTACT_COMPONENTS, STATE_COMPONENTS
from kpis.models import AgentDay, ContactDay, ContactInterval, RollupState, StateInterval
from scheduling.models import Shift, ShiftActivity

# How far each incremental rollup looks back before its watermark (see roll_up_changes).
LATE_COMMIT_MARGIN = timedelta(seconds=60)


def state_cap() -> timedelta:
    """A state lasts until the agent's next event, but never longer than this."""
    return timedelta(hours=getattr(settings, "KPI_STATE_CAP_HOURS", 12))


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC start and end of a local day (23 or 25 hours long at DST changes)."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class _Dialect:
    """The few SQL expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str):
        self.postgres = vendor == "postgresql"

    def epoch(self, column: str) -> str:
        if self.postgres:
            return f"extract(epoch from {column})"
        return f"round((julianday({column}) - 2440587.5) * 86400.0, 3)"

    def from_epoch(self, expression: str) -> str:
        if self.postgres:
            return f"to_timestamp({expression})"
        return f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', {expression}, 'unixepoch')"

    def buckets_of(self, begin: str, end: str) -> str:
        """FROM-clause items giving `b`, each 15-minute bucket that [begin, end) touches.

        PostgreSQL generates exactly those buckets per row; SQLite joins the rolled range's
        bucket list (a recursive CTE named buckets), which is fine one day at a time.
        """
        if self.postgres:
            return (
                f"LATERAL generate_series(floor({begin} / 900) * 900, "
                f"ceil({end} / 900) * 900 - 900, 900) AS buckets(b)"
            )
        return "buckets"

    def bucket_condition(self, begin: str, end: str) -> str:
        return "TRUE" if self.postgres else f"b < {end} AND b + 900 > {begin}"

    def least(self, *values: str) -> str:
        return f"{'LEAST' if self.postgres else 'MIN'}({', '.join(values)})"

    def greatest(self, *values: str) -> str:
        return f"{'GREATEST' if self.postgres else 'MAX'}({', '.join(values)})"


class _Bucket(Func):
    """The 15-minute UTC interval a datetime falls in."""

    arity = 1
    output_field = DateTimeField()
    template = "to_timestamp(floor(extract(epoch from %(expressions)s) / 900) * 900)"

    def as_sqlite(self, compiler, connection, **extra):
        template = (
            "strftime('%%%%Y-%%%%m-%%%%d %%%%H:%%%%M:%%%%S', "
            "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 900) * 900, 'unixepoch')"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


CONTACT_INTERVAL_KEYS = ("interval_start", "queue_id", "team_id", "agent_id", "channel")


def contact_interval_rows(start: datetime | None = None, end: datetime | None = None):
    """Contact components per (15-minute interval, queue, team, agent, channel) of the
    contacts that arrived in [start, end), aggregated with the outcome rules of
    interactions.outcomes: the one definition the drill-down lists filter with too."""
    contacts = Interaction.objects.all()
    if start is not None:
        contacts = contacts.filter(arrived_at__gte=start)
    if end is not None:
        contacts = contacts.filter(arrived_at__lt=end)
    aggregates = outcomes.component_aggregates(repeat_window())
    assert tuple(aggregates) == CONTACT_COMPONENTS
    return (
        contacts.annotate(interval_start=_Bucket("arrived_at"))
        .values(*CONTACT_INTERVAL_KEYS)
        .annotate(**aggregates)
        .order_by()
    )


def _contact_interval_statement(start: datetime, end: datetime) -> tuple[str, tuple]:
    """INSERT ... SELECT of contact_interval_rows: the ORM writes the SELECT, the
    database runs it all (no row passes through Python)."""
    select, params = contact_interval_rows(start, end).query.sql_with_params()
    columns = ", ".join((*CONTACT_INTERVAL_KEYS, *CONTACT_COMPONENTS))
    sql = (
        f"INSERT INTO {_table(ContactInterval)} ({columns}) SELECT {columns} FROM ({select}) parts"
    )
    return sql, params


# Scheduled activity -> the agent states that adhere to it (spec/kpis.md).
ADHERENT_STATES = {
    "work": ("available", "on_contact", "after_contact_work"),
    "break": ("break", "lunch"),
    "lunch": ("break", "lunch"),
    "meeting": ("meeting", "training"),
    "training": ("meeting", "training"),
}
# State -> the component its seconds go to, besides staffed (every state but offline).
STATE_COLUMNS = {
    "available_seconds": ("available",),
    "on_contact_seconds": ("on_contact",),
    "acw_seconds": ("after_contact_work",),
    "break_seconds": ("break", "lunch"),
    "other_seconds": ("meeting", "training", "other"),
}


def _state_interval_sql(d: _Dialect) -> str:
    """Agent-state and schedule seconds per (15-minute interval, agent) of one day.

    A state lasts until the agent's next event, at most `state_cap()`; states and
    scheduled activities are clipped to the day and cut at interval boundaries by joining
    them with the day's intervals (epoch seconds throughout, so it runs on both
    databases). Adherent time is the overlap of an activity with a matching state.
    """
    at = d.epoch("e.at")
    ends = d.least(
        f"COALESCE(LEAD({at}) OVER (PARTITION BY e.agent_id ORDER BY e.at), {at} + %(cap)s)",
        f"{at} + %(cap)s",
    )
    match = " OR ".join(
        f"(act.kind = '{kind}' AND st.state IN ({', '.join(repr(s) for s in states)}))"
        for kind, states in ADHERENT_STATES.items()
    )
    state_sums = ", ".join(
        f"SUM(CASE WHEN state IN ({', '.join(repr(s) for s in states)}) THEN secs ELSE 0 END) AS {name}"
        for name, states in STATE_COLUMNS.items()
    )
    names = ("staffed_seconds", *STATE_COLUMNS, "scheduled_seconds", "adherent_seconds")
    assert set(names) == set(STATE_COMPONENTS)
    activity_end = "a." + connection.ops.quote_name("end")  # END is an SQL keyword
    over_end, over_start = d.least("act.e", "st.e"), d.greatest("act.s", "st.s")
    bucket_list = (
        "" if d.postgres else
        "WITH RECURSIVE buckets(b) AS (SELECT %(first)s UNION ALL "
        "SELECT b + 900 FROM buckets WHERE b + 900 < %(last)s), "
    )  # fmt: skip
    return (
        f"{bucket_list}{'WITH ' if d.postgres else ''}"
        f"ev AS (SELECT e.agent_id, e.team_id, e.state, {at} AS s, {ends} AS e "
        f"FROM {_table(AgentStateEvent)} e WHERE e.at >= %(since)s AND e.at < %(end)s), "
        f"st AS (SELECT agent_id, team_id, state, {d.greatest('s', '%(first)s')} AS s, "
        f"{d.least('e', '%(last)s')} AS e FROM ev WHERE e > %(first)s AND s < %(last)s AND e > s), "
        f"act AS (SELECT sh.agent_id, sh.team_id, a.kind, {d.greatest(d.epoch('a.start'), '%(first)s')} AS s, "
        f"{d.least(d.epoch(activity_end), '%(last)s')} AS e "
        f"FROM {_table(ShiftActivity)} a JOIN {_table(Shift)} sh ON sh.id = a.shift_id "
        f"WHERE {activity_end} > %(start)s AND a.start < %(end)s), "
        f"parts AS ("
        f"SELECT st.agent_id, st.team_id, b, st.state, {d.least('st.e', 'b + 900')} - {d.greatest('st.s', 'b')} AS secs, "
        f"0 AS scheduled, 0 AS adherent FROM st, {d.buckets_of('st.s', 'st.e')} "
        f"WHERE {d.bucket_condition('st.s', 'st.e')} "
        f"UNION ALL SELECT act.agent_id, act.team_id, b, NULL, 0, "
        f"{d.least('act.e', 'b + 900')} - {d.greatest('act.s', 'b')}, 0 "
        f"FROM act, {d.buckets_of('act.s', 'act.e')} WHERE {d.bucket_condition('act.s', 'act.e')} "
        f"UNION ALL SELECT act.agent_id, act.team_id, b, NULL, 0, 0, "
        f"{d.least('act.e', 'st.e', 'b + 900')} - {d.greatest('act.s', 'st.s', 'b')} "
        f"FROM act JOIN st ON st.agent_id = act.agent_id AND st.s < act.e AND st.e > act.s AND ({match}), "
        f"{d.buckets_of(over_start, over_end)} WHERE {d.bucket_condition(over_start, over_end)}) "
        f"INSERT INTO {_table(StateInterval)} (interval_start, agent_id, team_id, {', '.join(names)}) "
        f"SELECT {d.from_epoch('parts.b')}, parts.agent_id, parts.team_id, "
        f"SUM(CASE WHEN state IS NOT NULL AND state <> 'offline' THEN secs ELSE 0 END), "
        f"{state_sums}, SUM(scheduled), SUM(adherent) "
        f"FROM parts GROUP BY parts.b, parts.agent_id, parts.team_id"
    )


def _sum_columns(names, prefix=""):
    return ", ".join(
        f"MAX({prefix}{name})" if name == "wait_max" else f"SUM({prefix}{name})" for name in names
    )


def _local_day(d: _Dialect) -> str:
    """The local day of an interval: PostgreSQL converts in SQL, so a run of days is one
    statement; SQLite knows no time zones and rolls one day at a time (the day a
    parameter)."""
    return "(interval_start AT TIME ZONE %(zone)s)::date" if d.postgres else "%(day)s"


def _contact_day_sql(d: _Dialect) -> str:
    names = ", ".join(CONTACT_COMPONENTS)
    day = _local_day(d)
    return (
        f"INSERT INTO {_table(ContactDay)} (day, queue_id, team_id, channel, {names}) "
        f"SELECT {day}, queue_id, team_id, channel, {_sum_columns(CONTACT_COMPONENTS)} "
        f"FROM {_table(ContactInterval)} "
        f"WHERE interval_start >= %(start)s AND interval_start < %(end)s "
        f"GROUP BY {day}, queue_id, team_id, channel"
    )


def _agent_day_sql(d: _Dialect) -> str:
    contact_zero = ", ".join(f"0 AS {name}" for name in STATE_COMPONENTS)
    state_zero = ", ".join(
        f"NULL AS {name}" if name == "wait_max" else f"0 AS {name}" for name in CONTACT_COMPONENTS
    )
    names = (*CONTACT_COMPONENTS, *STATE_COMPONENTS)
    day = _local_day(d)
    return (
        f"INSERT INTO {_table(AgentDay)} (day, agent_id, team_id, {', '.join(names)}) "
        f"SELECT day, agent_id, team_id, {_sum_columns(names)} FROM ("
        f"SELECT {day} AS day, agent_id, team_id, {', '.join(CONTACT_COMPONENTS)}, {contact_zero} "
        f"FROM {_table(ContactInterval)} WHERE agent_id IS NOT NULL "
        f"AND interval_start >= %(start)s AND interval_start < %(end)s "
        f"UNION ALL SELECT {day} AS day, agent_id, team_id, {state_zero}, "
        f"{', '.join(STATE_COMPONENTS)} FROM {_table(StateInterval)} "
        f"WHERE interval_start >= %(start)s AND interval_start < %(end)s"
        f") parts GROUP BY day, agent_id, team_id"
    )


# Days per transaction when consecutive days are rolled together (PostgreSQL).
DAYS_PER_RUN = 31


def _runs(days: Iterable[date], longest: int) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) runs of at most `longest` days."""
    runs = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == timedelta(days=1) and (day - runs[-1][0]).days < longest:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def roll_up_days(days: Iterable[date], *, now: datetime | None = None) -> int:
    """Recompute the rollups of these local days; returns how many days were rolled.

    Each run of consecutive days is one transaction of one statement per table (one day
    at a time on SQLite). Agent states and scheduled activities are cut at `now` (the
    present by default): a day that has just begun holds only the seconds that happened,
    and the next run (roll_up_changes re-rolls the current day every time) adds the rest.
    """
    dialect = _Dialect(connection.vendor)
    later_statements = (
        _state_interval_sql(dialect),
        _contact_day_sql(dialect),
        _agent_day_sql(dialect),
    )
    now = now or timezone.now()
    cap = state_cap()
    adapt = connection.ops.adapt_datetimefield_value
    rolled = 0
    RollupState.objects.get_or_create(pk=1)
    for first, last in _runs(days, DAYS_PER_RUN if dialect.postgres else 1):
        start, end = local_day_bounds(first)[0], local_day_bounds(last)[1]
        params = {
            "start": adapt(start),
            "end": adapt(end),
            "day": connection.ops.adapt_datefield_value(first),
            "zone": settings.TIME_ZONE,
            "since": adapt(start - cap),
            "first": start.timestamp(),
            "last": min(end, now).timestamp(),
            "cap": cap.total_seconds(),
        }
        with transaction.atomic():
            # One rollup at a time: two deleting and re-inserting the same days side by side
            # would each keep their rows. (SQLite transactions are serial anyway.)
            list(RollupState.objects.select_for_update().filter(pk=1))
            ContactInterval.objects.filter(
                interval_start__gte=start, interval_start__lt=end
            ).delete()
            StateInterval.objects.filter(interval_start__gte=start, interval_start__lt=end).delete()
            ContactDay.objects.filter(day__gte=first, day__lte=last).delete()
            AgentDay.objects.filter(day__gte=first, day__lte=last).delete()
            with connection.cursor() as cursor:
                cursor.execute(*_contact_interval_statement(start, end))
                for statement in later_statements:
                    cursor.execute(statement, params)
        rolled += (last - first).days + 1
    return rolled


def days_of(contacts) -> set[date]:
    """The local days the given contacts arrived on (computed in the database)."""
    zone = timezone.get_default_timezone()
    return set(
        contacts.annotate(day=TruncDate("arrived_at", tzinfo=zone))
        .values_list("day", flat=True)
        .distinct()
    )


def changed_days(since: datetime | None, until: datetime) -> set[date]:
    """Local days whose numbers may have changed between two watermarks.

    The days of contacts (and their surveys) stored since `since`, plus the days of the
    same customers' earlier contacts inside the repeat window: a new contact can turn
    their first-contact resolution into a repeat.
    """
    changed = Interaction.objects.filter(updated_at__lte=until)
    if since is not None:
        changed = changed.filter(updated_at__gt=since)
    days = days_of(changed)
    window = repeat_window()
    # Driven from the changed contacts' customers (the index on customer, arrived_at), so
    # the cost follows the number of changes, not the length of history.
    earlier = Interaction.objects.filter(
        customer__in=changed.exclude(customer="").values("customer")
    ).filter(
        Exists(
            changed.exclude(customer="").filter(
                customer=OuterRef("customer"),
                direction=Direction.INBOUND,
                arrived_at__gt=OuterRef("arrived_at"),
                arrived_at__lte=OuterRef("arrived_at") + window,
            )
        )
    )
    days |= days_of(earlier)
    states = AgentStateEvent.objects.filter(received_at__lte=until)
    if since is not None:
        states = states.filter(received_at__gt=since)
    zone = timezone.get_default_timezone()
    # An event changes the agent's seconds from its own moment until up to the cap later
    # (it ends the previous state and starts its own): its day and the day the cap reaches.
    for moment in (F("at"), F("at") + state_cap()):
        days |= set(
            states.annotate(day=TruncDate(moment, tzinfo=zone))
            .values_list("day", flat=True)
            .distinct()
        )
    return days | schedule_changed_days(since, until)


def schedule_changed_days(since: datetime | None, until: datetime) -> set[date]:
    """Local days whose scheduled seconds may have changed between two watermarks.

    Every change to a shift or an activity (deletions too) leaves a history row; the days
    of every version of the shifts touched, old and new, are re-rolled, so a shift moved
    to another day clears the day it left.
    """
    window = {"history_date__lte": until}
    if since is not None:
        window["history_date__gt"] = since
    # Subqueries, not id lists: on the first run every shift ever stored is "touched".
    changed_shifts = Shift.history.filter(**window).values("id")
    changed_activities = ShiftActivity.history.filter(**window).values("shift_id")
    touched = Q(id__in=changed_shifts) | Q(id__in=changed_activities)
    # Activities lie inside their shift, so the spans of the shift's versions cover theirs.
    spans = (
        Shift.history.filter(touched),
        Shift.objects.filter(touched),  # shifts stored in bulk (the demo) have no history yet
    )
    zone = timezone.get_default_timezone()
    days = set()
    for rows in spans:
        for moment in ("start", "end"):
            days |= set(
                rows.annotate(day=TruncDate(moment, tzinfo=zone))
                .values_list("day", flat=True)
                .distinct()
            )
    return days


def elapsed_days(since: datetime | None, until: datetime) -> set[date]:
    """The local days time has moved through since the last run: their states and
    schedules were cut at the last run's present and go on to this one's."""
    if since is None:
        return set()
    first, last = timezone.localdate(since), timezone.localdate(until)
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def roll_up_changes() -> int:
    """Re-roll the days touched since the last run; returns the number of days rolled.

    The watermark row is locked (SKIP LOCKED where the database has it), so a second run
    started meanwhile returns at once instead of doing the same work.
    """
    RollupState.objects.get_or_create(pk=1)
    with transaction.atomic():
        rows = RollupState.objects.filter(pk=1)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        state = rows.first()
        if state is None:
            return 0
        until = timezone.now()
        # Look back a little before the watermark: a transaction that stamped its rows just
        # before the last run but committed just after it is caught by this run.
        since = state.contacts_rolled_to and state.contacts_rolled_to - LATE_COMMIT_MARGIN
        days = changed_days(since, until) | elapsed_days(since, until)
        rolled = roll_up_days(days, now=until)
        state.contacts_rolled_to = state.states_rolled_to = until
        state.save()
    return rolled


def contact_components_between(
    start: datetime, end: datetime, queue_ids=None, *, team_ids=None, parts=None
) -> dict:
    """Contact components of [start, end) for these queues (or the contacts these teams
    took), summed straight from the raw table with the rollup's own aggregates: the live
    wallboard counts exactly as the rollups do. With `parts` (name -> condition), the
    components of each part of those contacts, by name, from the same one query."""
    contacts = Interaction.objects.filter(arrived_at__gte=start, arrived_at__lt=end)
    if queue_ids is not None:
        contacts = contacts.filter(queue__in=list(queue_ids))
    if team_ids is not None:
        contacts = contacts.filter(team__in=list(team_ids))
    window = repeat_window()
    selected = {None: None} if parts is None else parts
    aggregates = {}
    for part, condition in selected.items():
        aggregates |= {
            f"{part or 'all'}_{name}": aggregate
            for name, aggregate in outcomes.component_aggregates(window, condition).items()
        }
    sums = contacts.aggregate(**aggregates)
    result = {
        part: {name: sums[f"{part or 'all'}_{name}"] for name in CONTACT_COMPONENTS}
        for part in selected
    }
    return result[None] if parts is None else result
