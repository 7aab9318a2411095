"""Running the rollup: whole local days (roll_up_days), and the days changed since each
source's fill state (roll_up_changes, the minute's beat task)."""

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from core.localtime import local_days
from core.localtime import zone as local_zone
from kpis.models import (
    AgentDay,
    ContactDay,
    ContactHour,
    ContactInterval,
    RollupState,
    StateInterval,
)
from kpis.rollup.changes import SOURCES, Source, days_of_spans
from kpis.rollup.dialect import Dialect
from kpis.rollup.statements import (
    RUN_SETTINGS,
    agent_day_statement,
    contact_interval_statement,
    day_statements,
    set_local,
)
from kpis.rollup.states import (
    span_delete_statement,
    span_params,
    state_interval_statement,
    state_params,
)

# How far each incremental rollup looks back before a fill state (see roll_up_changes).
LATE_COMMIT_MARGIN = timedelta(seconds=60)
QUARTER = timedelta(minutes=15)
# Days per transaction when consecutive days are rolled together (PostgreSQL).
DAYS_PER_RUN = 31
# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout.
QUERY_CANCELED = "57014"

logger = logging.getLogger(__name__)


def statement_timeout() -> float:
    """Seconds any one statement of the minute's rollup may run (PostgreSQL)."""
    return float(getattr(settings, "KPI_ROLLUP_STATEMENT_TIMEOUT_SECONDS", 60))


def _timed_out(error: BaseException) -> bool:
    """The task's soft time limit, or a statement cancelled by statement_timeout."""
    if isinstance(error, SoftTimeLimitExceeded):
        return True
    cause = error.__cause__
    return (
        isinstance(error, OperationalError) and getattr(cause, "sqlstate", None) == QUERY_CANCELED
    )


def _runs(days: Iterable[date], longest: int) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) runs of at most `longest` days."""
    runs = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == timedelta(days=1) and (day - runs[-1][0]).days < longest:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def sqlite_offsets(start: datetime, end: datetime) -> dict:
    """The local day [start, end)'s UTC offsets as SQLite modifiers, before and from the
    quarter-hour a daylight-saving change moves it (dialect.local_hour)."""
    zone = local_zone()

    def offset(moment: datetime) -> timedelta:
        return moment.astimezone(zone).utcoffset()

    before, after = offset(start), offset(end - QUARTER)
    shift_at = start.astimezone(UTC)  # stepped in UTC: local steps skip a repeated hour
    while offset(shift_at) == before and shift_at < end:
        shift_at += QUARTER  # at most 96 steps: zones change on a quarter-hour
    adapt = connection.ops.adapt_datetimefield_value
    return {
        "shift_at": adapt(shift_at),
        "offset_before": f"{int(before.total_seconds()):+d} seconds",
        "offset_after": f"{int(after.total_seconds()):+d} seconds",
    }


def _day_params(first: date, last: date, now: datetime) -> dict:
    """The parameters of the statements of the local days first..last."""
    start, end = local_days(first, (last - first).days + 1)
    params = state_params(start, end, now) | {
        "day": connection.ops.adapt_datefield_value(first),
        "zone": settings.TIME_ZONE,
    }
    if connection.vendor != "postgresql":
        params |= sqlite_offsets(start, end)
    return params


def _longest_run(dialect: Dialect) -> int:
    return DAYS_PER_RUN if dialect.postgres else 1


def roll_up_days(days: Iterable[date], *, now: datetime | None = None) -> int:
    """Recompute the rollups of these local days; returns how many days were rolled.

    Each run of consecutive days is one transaction of one statement per table (one day
    at a time on SQLite). Agent states and scheduled activities are cut at `now` (the
    present by default): a day that has just begun holds only the seconds that happened,
    and the next run (roll_up_changes re-rolls the time passed since the last) adds the
    rest.
    """
    dialect = Dialect(connection.vendor)
    later_statements = (state_interval_statement(dialect), *day_statements(dialect))
    now = now or timezone.now()
    rolled = 0
    RollupState.objects.get_or_create(pk=1)
    for first, last in _runs(days, _longest_run(dialect)):
        params = _day_params(first, last, now)
        start, end = local_days(first, (last - first).days + 1)
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
            ContactHour.objects.filter(day__gte=first, day__lte=last).delete()
            with connection.cursor() as cursor:
                if dialect.postgres:
                    set_local(cursor, RUN_SETTINGS)
                cursor.execute(*contact_interval_statement(start, end))
                for statement in later_statements:
                    cursor.execute(statement, params)
        rolled += (last - first).days + 1
    return rolled


def _quarter(moment: datetime, up: bool = False) -> datetime:
    """The 15-minute boundary at or before `moment` (or at or after it, `up`)."""
    step = QUARTER.total_seconds()
    epoch = moment.timestamp()
    bound = epoch - epoch % step
    return datetime.fromtimestamp(bound + step if up and bound < epoch else bound, UTC)


@dataclass
class Changes:
    """What an incremental run re-rolls."""

    # Whole local days (their contacts or evaluations changed): every table but the
    # state intervals, which read neither.
    days: set[date] = field(default_factory=set)
    # Agent id -> the spans of its time whose states or schedules changed, from and to
    # 15-minute boundaries, apart: its state intervals there, and those days' agent rows.
    spans: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    # The earliest present a previous run cut states and schedules at: every agent's
    # state intervals from then to this run's present, and their days' agent rows.
    elapsed_from: datetime | None = None

    def add_span(self, agent: int, start: datetime, end: datetime) -> None:
        """Add a span to the agent's, merged with those it overlaps or touches."""
        start, end = _quarter(start), _quarter(end, up=True)
        apart = []
        for other in self.spans.get(agent, []):
            if other[1] < start or other[0] > end:
                apart.append(other)
            else:
                start, end = min(start, other[0]), max(end, other[1])
        self.spans[agent] = [*apart, (start, end)]

    def elapsed(self, until: datetime) -> tuple[datetime, datetime] | None:
        """The UTC range time moved through since the cut, from its 15-minute interval."""
        if self.elapsed_from is None or _quarter(self.elapsed_from) >= until:
            return None
        return _quarter(self.elapsed_from), until

    def all_days(self, until: datetime) -> set[date]:
        elapsed = self.elapsed(until)
        spans = [(None, *span) for agent_spans in self.spans.values() for span in agent_spans]
        return self.days | days_of_spans(spans + ([(None, *elapsed)] if elapsed else []))


def roll_up_changes(sources: Iterable[Source] = SOURCES) -> int:
    """Re-roll what these sources changed since their fill states; returns the number
    of days touched.

    Each source looks at its rows stamped after its own fill state (a little before it:
    a transaction that stamped its rows just before the last run but committed just after
    it is caught by this run), and its fill state moves to this run's present when the
    changes are rolled, in the same transaction. Contacts and evaluations re-roll their
    days whole (but the state intervals); agent states and schedules only the state
    intervals of the agents and days they changed, and the time passed since the last
    run's cut; the changed days' day tables follow from the intervals. The RollupState
    row is locked (SKIP LOCKED where the database has it), so a second run started
    meanwhile returns at once instead of doing the same work.
    """
    sources = tuple(sources)
    RollupState.objects.get_or_create(pk=1)
    changes, doing = Changes(), "finding the changed days"
    try:
        with transaction.atomic():
            rows = RollupState.objects.filter(pk=1)
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            state = rows.first()
            if state is None:
                return 0
            if connection.vendor == "postgresql":
                # A runaway statement is cancelled (and the transaction with it): the run
                # has a time limit, as the task has (CELERY time limits in settings). Its
                # statements are small: compiling them (JIT) took longer than running them.
                timeout = f"{max(int(statement_timeout() * 1000), 1)}ms"
                with connection.cursor() as cursor:
                    set_local(cursor, {**RUN_SETTINGS, "statement_timeout": timeout})
            until = timezone.now()
            for source in sources:
                rolled_to = getattr(state, source.fill_state)
                since = rolled_to and rolled_to - LATE_COMMIT_MARGIN
                if source.changed_spans is None:
                    changes.days |= source.changed(since, until)
                else:
                    for agent, start, end in source.changed_spans(since, until):
                        changes.add_span(agent, start, end)
                if source.cut_at_present and rolled_to is not None:
                    changes.elapsed_from = min(changes.elapsed_from or rolled_to, rolled_to)
            doing = "rolling days"
            rolled = _roll_up(changes, until)
            for source in sources:
                setattr(state, source.fill_state, until)
            state.save(update_fields=[*(source.fill_state for source in sources), "updated_at"])
    except (SoftTimeLimitExceeded, OperationalError) as error:
        if _timed_out(error):
            days = ", ".join(day.isoformat() for day in sorted(changes.all_days(timezone.now())))
            logger.error(
                "KPI rollup stopped by its time limit (%s) while %s; nothing was "
                "committed, the fill states stay and the next run retries. Days: %s",
                "statement_timeout" if isinstance(error, OperationalError) else "soft time limit",
                doing,
                days or "none yet",
            )
        raise
    return rolled


def _roll_up(changes: Changes, now: datetime) -> int:
    """Roll these changes up (inside the caller's transaction, holding the lock): the
    state intervals of the changed agents' spans and of the time passed, the contact
    intervals of the changed days, then the day tables of every day touched (whole for
    the contact days, the agent rows for the others). Returns the number of days
    touched."""
    dialect = Dialect(connection.vendor)
    longest = _longest_run(dialect)
    with connection.cursor() as cursor:
        if changes.spans:
            params = span_params(changes.spans, now)
            cursor.execute(span_delete_statement(dialect), params)
            cursor.execute(state_interval_statement(dialect, spans=True), params)
        elapsed = changes.elapsed(now)
        if elapsed is not None:
            start, end = elapsed
            StateInterval.objects.filter(interval_start__gte=start, interval_start__lt=end).delete()
            cursor.execute(state_interval_statement(dialect), state_params(start, end, now))
        for first, last in _runs(changes.days, longest):
            start, end = local_days(first, (last - first).days + 1)
            ContactInterval.objects.filter(
                interval_start__gte=start, interval_start__lt=end
            ).delete()
            cursor.execute(*contact_interval_statement(start, end))
            ContactDay.objects.filter(day__gte=first, day__lte=last).delete()
            AgentDay.objects.filter(day__gte=first, day__lte=last).delete()
            ContactHour.objects.filter(day__gte=first, day__lte=last).delete()
            for statement in day_statements(dialect):
                cursor.execute(statement, _day_params(first, last, now))
        # The agent rows of the other days: whole where time passed, else of the agents
        # whose spans reach into them.
        passed = days_of_spans([(None, *elapsed)]) if elapsed is not None else set()
        for first, last in _runs(passed - changes.days, longest):
            AgentDay.objects.filter(day__gte=first, day__lte=last).delete()
            cursor.execute(agent_day_statement(dialect), _day_params(first, last, now))
        agents_by_day = defaultdict(set)
        for agent, spans in changes.spans.items():
            for day in days_of_spans([(agent, *span) for span in spans]):
                agents_by_day[day].add(agent)
        for first, last in _runs(set(agents_by_day) - changes.days - passed, longest):
            run = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            agents = set().union(*(agents_by_day[day] for day in run))
            AgentDay.objects.filter(day__gte=first, day__lte=last, agent_id__in=agents).delete()
            params = _day_params(first, last, now) | {"agents": _ids(agents)}
            cursor.execute(agent_day_statement(dialect, of_agents=True), params)
    return len(changes.all_days(now))


def _ids(ids) -> list[int] | str:
    """Ids as a statement's array parameter: a list on PostgreSQL, JSON on SQLite."""
    return sorted(ids) if connection.vendor == "postgresql" else json.dumps(sorted(ids))


def record_fill_states(until: datetime, sources: Iterable[Source] = SOURCES) -> None:
    """Record these sources as rolled up to `until` (after a full roll of their days, as
    the demo seed does): the next run looks only at what changed after it."""
    RollupState.objects.update_or_create(
        pk=1, defaults={source.fill_state: until for source in sources}
    )
