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
from django.db.models import Exists, OuterRef
from django.db.models.functions import TruncDate
from django.utils import timezone

from agents.models import AgentStateEvent
from interactions.models import Direction, Interaction
from kpis.definitions import CONTACT_COMPONENTS, STATE_COMPONENTS
from kpis.models import AgentDay, ContactDay, ContactInterval, RollupState, StateInterval

INTERVAL_SECONDS = 900


def repeat_window() -> timedelta:
    return timedelta(days=getattr(settings, "KPI_REPEAT_WINDOW_DAYS", 7))


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

    def bucket(self, column: str) -> str:
        if self.postgres:
            return f"to_timestamp(floor(extract(epoch from {column}) / 900) * 900)"
        return (
            f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', "
            f"(CAST(strftime('%%s', {column}) AS INTEGER) / 900) * 900, 'unixepoch')"
        )

    def seconds_between(self, start: str, end: str) -> str:
        if self.postgres:
            return f"extract(epoch from ({end} - {start}))"
        return f"round((julianday({end}) - julianday({start})) * 86400.0, 3)"

    def plus_seconds(self, column: str, seconds_param: str) -> str:
        if self.postgres:
            return f"({column} + {seconds_param} * interval '1 second')"
        return (
            f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {column}, '+' || {seconds_param} || ' seconds')"
        )


def _contact_interval_sql(d: _Dialect) -> str:
    wait_answered = d.seconds_between("i.arrived_at", "i.answered_at")
    wait_ended = d.seconds_between("i.arrived_at", "i.ended_at")
    inbound = "i.direction = 'inbound'"
    answered = f"{inbound} AND i.answered_at IS NOT NULL"
    unanswered_ended = f"{inbound} AND i.answered_at IS NULL AND i.ended_at IS NOT NULL"
    abandoned = f"{unanswered_ended} AND NOT i.callback_requested"
    handled = f"{answered} AND i.ended_at IS NOT NULL"
    eligible = f"{handled} AND (i.resolved IS NOT NULL OR i.customer <> '')"
    interactions = _table(Interaction)
    repeat = (
        f"EXISTS (SELECT 1 FROM {interactions} r WHERE r.customer = i.customer "
        f"AND r.direction = 'inbound' AND r.id <> i.id AND r.arrived_at > i.arrived_at "
        f"AND r.arrived_at <= {d.plus_seconds('i.arrived_at', '%(window)s')})"
    )
    resolved = (
        f"{eligible} AND (i.resolved IS NULL OR i.resolved) AND (i.customer = '' OR NOT {repeat})"
    )

    def count(condition):
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    def total(condition, value):
        return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"

    components = {
        "offered": count(inbound),
        "answered": count(answered),
        "answered_in_sl": count(f"{answered} AND {wait_answered} <= q.service_level_seconds"),
        "abandoned": count(abandoned),
        "short_abandoned": count(f"{abandoned} AND {wait_ended} < q.short_abandon_seconds"),
        "callbacks": count(f"{unanswered_ended} AND i.callback_requested"),
        "wait_answered_sum": total(answered, wait_answered),
        "wait_max": f"MAX(CASE WHEN {answered} THEN {wait_answered} END)",
        "handled": count(handled),
        "talk_sum": total(handled, "i.talk_seconds"),
        "hold_sum": total(handled, "i.hold_seconds"),
        "wrap_sum": total(handled, "i.wrap_seconds"),
        "transferred": count(f"{handled} AND i.transferred"),
        "fcr_eligible": count(eligible),
        "fcr_resolved": count(resolved),
        "csat_responses": count(f"{inbound} AND i.csat IS NOT NULL"),
        "csat_positive": count(f"{inbound} AND i.csat >= 4"),
        "nps_responses": count(f"{inbound} AND i.nps IS NOT NULL"),
        "promoters": count(f"{inbound} AND i.nps >= 9"),
        "detractors": count(f"{inbound} AND i.nps <= 6"),
        "outbound_handled": count(
            f"i.direction = '{Direction.OUTBOUND}' AND i.ended_at IS NOT NULL"
        ),
    }
    assert tuple(components) == CONTACT_COMPONENTS
    bucket = d.bucket("i.arrived_at")
    return (
        f"INSERT INTO {_table(ContactInterval)} "
        f"(interval_start, queue_id, team_id, agent_id, channel, {', '.join(components)}) "
        f"SELECT {bucket}, i.queue_id, i.team_id, i.agent_id, i.channel, "
        f"{', '.join(components.values())} "
        f"FROM {interactions} i LEFT JOIN {_table(Interaction.queue.field.related_model)} q "
        f"ON q.id = i.queue_id "
        f"WHERE i.arrived_at >= %(start)s AND i.arrived_at < %(end)s "
        f"GROUP BY {bucket}, i.queue_id, i.team_id, i.agent_id, i.channel"
    )


def _sum_columns(names, prefix=""):
    return ", ".join(
        f"MAX({prefix}{name})" if name == "wait_max" else f"SUM({prefix}{name})" for name in names
    )


def _contact_day_sql() -> str:
    names = ", ".join(CONTACT_COMPONENTS)
    return (
        f"INSERT INTO {_table(ContactDay)} (day, queue_id, team_id, channel, {names}) "
        f"SELECT %(day)s, queue_id, team_id, channel, {_sum_columns(CONTACT_COMPONENTS)} "
        f"FROM {_table(ContactInterval)} "
        f"WHERE interval_start >= %(start)s AND interval_start < %(end)s "
        f"GROUP BY queue_id, team_id, channel"
    )


def _agent_day_sql() -> str:
    contact_zero = ", ".join(f"0 AS {name}" for name in STATE_COMPONENTS)
    state_zero = ", ".join(
        f"NULL AS {name}" if name == "wait_max" else f"0 AS {name}" for name in CONTACT_COMPONENTS
    )
    names = (*CONTACT_COMPONENTS, *STATE_COMPONENTS)
    return (
        f"INSERT INTO {_table(AgentDay)} (day, agent_id, team_id, {', '.join(names)}) "
        f"SELECT %(day)s, agent_id, team_id, {_sum_columns(names)} FROM ("
        f"SELECT agent_id, team_id, {', '.join(CONTACT_COMPONENTS)}, {contact_zero} "
        f"FROM {_table(ContactInterval)} WHERE agent_id IS NOT NULL "
        f"AND interval_start >= %(start)s AND interval_start < %(end)s "
        f"UNION ALL SELECT agent_id, team_id, {state_zero}, {', '.join(STATE_COMPONENTS)} "
        f"FROM {_table(StateInterval)} "
        f"WHERE interval_start >= %(start)s AND interval_start < %(end)s"
        f") parts GROUP BY agent_id, team_id"
    )


def roll_up_days(days: Iterable[date]) -> int:
    """Recompute the rollups of these local days; returns how many days were rolled."""
    dialect = _Dialect(connection.vendor)
    contact_sql = _contact_interval_sql(dialect)
    day_sql, agent_sql = _contact_day_sql(), _agent_day_sql()
    window = int(repeat_window().total_seconds())
    rolled = 0
    for day in sorted(set(days)):
        start, end = local_day_bounds(day)
        params = {
            "start": connection.ops.adapt_datetimefield_value(start),
            "end": connection.ops.adapt_datetimefield_value(end),
            "day": connection.ops.adapt_datefield_value(day),
            "window": window,
        }
        with transaction.atomic():
            ContactInterval.objects.filter(
                interval_start__gte=start, interval_start__lt=end
            ).delete()
            StateInterval.objects.filter(interval_start__gte=start, interval_start__lt=end).delete()
            ContactDay.objects.filter(day=day).delete()
            AgentDay.objects.filter(day=day).delete()
            with connection.cursor() as cursor:
                cursor.execute(contact_sql, params)
                _roll_up_states(cursor, start, end)
                cursor.execute(day_sql, params)
                cursor.execute(agent_sql, params)
        rolled += 1
    return rolled


def _roll_up_states(cursor, start: datetime, end: datetime) -> None:
    """Agent-state seconds per interval: each state lasts until the agent's next event
    (at most `state_cap()`), split at 15-minute boundaries. Built in the next slice."""


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
    earlier = Interaction.objects.exclude(customer="").filter(
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
    days |= set(
        states.annotate(day=TruncDate("at", tzinfo=zone)).values_list("day", flat=True).distinct()
    )
    return days


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
        days = changed_days(state.contacts_rolled_to, until)
        rolled = roll_up_days(days)
        state.contacts_rolled_to = state.states_rolled_to = until
        state.save()
    return rolled
