"""Running the rollup: whole local days (roll_up_days), and the days changed since each
source's fill state (roll_up_changes, the minute's beat task)."""

import logging
from collections.abc import Iterable
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
from kpis.rollup.changes import SOURCES, Source
from kpis.rollup.dialect import Dialect
from kpis.rollup.statements import contact_interval_statement, day_statements
from kpis.rollup.states import state_cap, state_interval_statement

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


def roll_up_days(days: Iterable[date], *, now: datetime | None = None) -> int:
    """Recompute the rollups of these local days; returns how many days were rolled.

    Each run of consecutive days is one transaction of one statement per table (one day
    at a time on SQLite). Agent states and scheduled activities are cut at `now` (the
    present by default): a day that has just begun holds only the seconds that happened,
    and the next run (roll_up_changes re-rolls the current day every time) adds the rest.
    """
    dialect = Dialect(connection.vendor)
    later_statements = (state_interval_statement(dialect), *day_statements(dialect))
    now = now or timezone.now()
    cap = state_cap()
    adapt = connection.ops.adapt_datetimefield_value
    rolled = 0
    RollupState.objects.get_or_create(pk=1)
    for first, last in _runs(days, DAYS_PER_RUN if dialect.postgres else 1):
        start, end = local_days(first, (last - first).days + 1)
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
        if not dialect.postgres:
            params |= sqlite_offsets(start, end)
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
                cursor.execute(*contact_interval_statement(start, end))
                for statement in later_statements:
                    cursor.execute(statement, params)
        rolled += (last - first).days + 1
    return rolled


def roll_up_changes(sources: Iterable[Source] = SOURCES) -> int:
    """Re-roll the days these sources changed since their fill states; returns the number
    of days rolled.

    Each source looks at its rows stamped after its own fill state (a little before it:
    a transaction that stamped its rows just before the last run but committed just after
    it is caught by this run), and its fill state moves to this run's present when the
    days are rolled, in the same transaction. The RollupState row is locked (SKIP LOCKED
    where the database has it), so a second run started meanwhile returns at once
    instead of doing the same work.
    """
    sources = tuple(sources)
    RollupState.objects.get_or_create(pk=1)
    days = set()
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
                # has a time limit, as the task has (CELERY time limits in settings).
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, true)",
                        [f"{max(int(statement_timeout() * 1000), 1)}ms"],
                    )
            until = timezone.now()
            for source in sources:
                rolled_to = getattr(state, source.fill_state)
                since = rolled_to and rolled_to - LATE_COMMIT_MARGIN
                days |= source.changed_days(since, until)
            rolled = roll_up_days(days, now=until)
            for source in sources:
                setattr(state, source.fill_state, until)
            state.save(update_fields=[*(source.fill_state for source in sources), "updated_at"])
    except (SoftTimeLimitExceeded, OperationalError) as error:
        if _timed_out(error):
            rolling = ", ".join(day.isoformat() for day in sorted(days)) or "none yet"
            logger.error(
                "KPI rollup stopped by its time limit (%s) while %s; nothing was "
                "committed, the fill states stay and the next run retries. Days: %s",
                "statement_timeout" if isinstance(error, OperationalError) else "soft time limit",
                "rolling days" if days else "finding the changed days",
                rolling,
            )
        raise
    return rolled


def record_fill_states(until: datetime, sources: Iterable[Source] = SOURCES) -> None:
    """Record these sources as rolled up to `until` (after a full roll of their days, as
    the demo seed does): the next run looks only at what changed after it."""
    RollupState.objects.update_or_create(
        pk=1, defaults={source.fill_state: until for source in sources}
    )
