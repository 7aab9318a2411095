"""Writes to schedules: shifts, their activities, copies, templates, imports, time off.

Every function checks the schedule rules before it writes and writes in one
transaction, so a broken rule is a message and nothing is half-saved:
- a shift ends after it starts and lasts at most MAX_SHIFT;
- one agent's shifts never overlap;
- activities lie inside their shift and do not overlap each other;
- no shift touches the agent's approved time off.
Breaks, lunches, meetings and training are given; the rest of a shift is work, so a
shift's scheduled seconds are its length (adherence counts from activities).
Each write is stamped with who made it (`by`) in the history tables.
Writes to one shift (edit, move, delete) run one after the other: each locks the agent's
row, then the shift's, then touches its activities (`_lock_shift`); one whose shift was
deleted meanwhile raises ShiftGone and writes nothing.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from agents import access
from agents.models import Agent
from agents.services import stamp
from core.jobs import JobStatus
from core.localtime import at_local, local_days, monday_of
from scheduling.models import (
    ActivityKind,
    ScheduleImportJob,
    Shift,
    ShiftActivity,
    ShiftTemplate,
    TimeOff,
    TimeOffStatus,
)

MAX_SHIFT = timedelta(hours=16)
# Activity kinds a person schedules; work fills the rest of the shift.
PLANNED_KINDS = tuple(kind for kind in ActivityKind.values if kind != ActivityKind.WORK)
# Rows a schedule CSV may hold (settings.SCHEDULE_IMPORT_MAX_ROWS): weeks of a large
# team; a larger file is refused up front, with nothing written.
DEFAULT_MAX_IMPORT_ROWS = 20_000


@dataclass(frozen=True)
class Span:
    """An activity to plan: its kind and aware start and end."""

    kind: str
    start: datetime
    end: datetime


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def coming_shifts_follow(*, agent, team, by=None, reason: str = "", **kwargs) -> None:
    """An agent moved to `team`: their shifts from now on are worked for it; past ones
    stay with the team they were worked for. Receives agents.signals.agent_moved, inside
    the move's transaction."""
    coming = list(Shift.objects.filter(agent=agent, start__gte=timezone.now()))
    for shift in coming:
        shift.team = team
    bulk_update_with_history(coming, Shift, ["team"], default_user=by, default_change_reason=reason)


def span_between(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """Start and end of a span given as local clock times; an end at or before the start
    is on the next day (a night shift)."""
    end_day = day + timedelta(days=1) if end <= start else day
    return at_local(day, start), at_local(end_day, end)


def describe(start: datetime, end: datetime) -> str:
    """'Tue 1 Dec 08:00–16:30' in local time, for messages."""
    first, last = local(start), local(end)
    text = f"{first:%a} {first.day} {first:%b %H:%M}–{last:%H:%M}"
    return text if first.date() == last.date() else f"{text} (+1 day)"


def shift_rule_errors(
    *, agent: Agent, start: datetime, end: datetime, spans=(), ignore_shift_ids=()
) -> list[str]:
    """Every schedule rule this shift would break, as messages (empty when none)."""
    who = str(agent)
    if end <= start:
        return [f"{who}: a shift must end after it starts ({describe(start, end)})."]
    errors = []
    if end - start > MAX_SHIFT:
        hours = MAX_SHIFT.total_seconds() / 3600
        errors.append(f"{who}: {describe(start, end)} is longer than {hours:g} hours.")
    ordered = sorted(spans, key=lambda span: span.start)
    for span in ordered:
        label = f"{ActivityKind(span.kind).label} {describe(span.start, span.end)}"
        if span.end <= span.start:
            errors.append(f"{who}: {label} must end after it starts.")
        elif span.start < start or span.end > end:
            errors.append(f"{who}: {label} is outside the shift {describe(start, end)}.")
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start < before.end:
            errors.append(
                f"{who}: {ActivityKind(before.kind).label} and {ActivityKind(after.kind).label} "
                f"overlap at {local(after.start):%H:%M}."
            )
    clashes = agent.shifts.filter(start__lt=end, end__gt=start).exclude(pk__in=ignore_shift_ids)
    errors.extend(
        f"{who}: {describe(start, end)} overlaps the shift {describe(other.start, other.end)}."
        for other in clashes
    )
    time_off = agent.time_off.filter(status=TimeOffStatus.APPROVED, start__lt=end, end__gt=start)
    errors.extend(
        f"{who}: {describe(start, end)} falls on approved time off {describe(off.start, off.end)}."
        for off in time_off
    )
    return errors


def plan_activities(start: datetime, end: datetime, spans) -> list[Span]:
    """The shift's activities: the given ones, and work filling every gap between them."""
    planned, cursor = [], start
    for span in sorted(spans, key=lambda span: span.start):
        if span.start > cursor:
            planned.append(Span(ActivityKind.WORK, cursor, span.start))
        planned.append(span)
        cursor = max(cursor, span.end)
    if cursor < end:
        planned.append(Span(ActivityKind.WORK, cursor, end))
    return planned


def planned_spans(shift: Shift) -> list[Span]:
    """A shift's activities other than work: what a person planned into it."""
    return [
        Span(activity.kind, activity.start, activity.end)
        for activity in shift.activities.all()
        if activity.kind != ActivityKind.WORK
    ]


def _lock_agents(agents) -> None:
    """Hold the agents' rows until the transaction ends, so two writes for one agent
    (a double submit, a copy beside an edit) check their rules one after the other.
    In id order, so two batches cannot deadlock; SQLite writes one at a time anyway."""
    ids = sorted({agent.pk for agent in agents})
    list(Agent.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


SHIFT_GONE = "This shift no longer exists."


class ShiftGone(ValidationError):
    """The shift was deleted before this write got to it (another user's delete, say)."""

    def __init__(self):
        super().__init__(SHIFT_GONE, code="shift_gone")


def _lock_shift(shift: Shift) -> None:
    """Hold the shift's row until the transaction ends and read it again, so writes to
    one shift serialise and each starts from what the last one left (a move from the
    stored start, never a stale copy's). One order everywhere: the agent's row (as every
    rule check and an agent's move take it), then the shift's, then its activities.
    A shift deleted meanwhile raises ShiftGone: saving it would bring it back."""
    _lock_agents([shift.agent])
    try:
        shift.refresh_from_db(from_queryset=Shift.objects.select_for_update())
    except Shift.DoesNotExist:
        raise ShiftGone from None


def _raise_if(errors: list[str]) -> None:
    if errors:
        raise ValidationError(errors)


def _write_activities(shift: Shift, spans, by, reason: str) -> None:
    activities = [
        ShiftActivity(shift=shift, kind=span.kind, start=span.start, end=span.end)
        for span in plan_activities(shift.start, shift.end, spans)
    ]
    bulk_create_with_history(
        activities, ShiftActivity, default_user=by, default_change_reason=reason
    )


def _create_shifts(plans, by, reason: str) -> list[Shift]:
    """Store (agent, start, end, spans, note) plans: shifts and activities in bulk."""
    shifts = [
        Shift(agent=agent, team_id=agent.team_id, start=start, end=end, note=note)
        for agent, start, end, _spans, note in plans
    ]
    shifts = bulk_create_with_history(shifts, Shift, default_user=by, default_change_reason=reason)
    activities = [
        ShiftActivity(shift=shift, kind=span.kind, start=span.start, end=span.end)
        for shift, (_agent, start, end, spans, _note) in zip(shifts, plans, strict=True)
        for span in plan_activities(start, end, spans)
    ]
    bulk_create_with_history(
        activities, ShiftActivity, default_user=by, default_change_reason=reason
    )
    return shifts


def _check_plans(plans) -> list[str]:
    """Rules for several new shifts at once: each against the stored schedule and
    against the others in the same batch."""
    _lock_agents(agent for agent, *_ in plans)
    errors = []
    for index, (agent, start, end, spans, _note) in enumerate(plans):
        errors += shift_rule_errors(agent=agent, start=start, end=end, spans=spans)
        errors += [
            f"{agent}: {describe(start, end)} overlaps {describe(other_start, other_end)}, "
            f"also being planned."
            for other_agent, other_start, other_end, *_ in plans[:index]
            if other_agent.pk == agent.pk and other_start < end and other_end > start
        ]
    return errors


@transaction.atomic
def shift_create(
    *, agent: Agent, start: datetime, end: datetime, spans=(), note: str = "", by=None
) -> Shift:
    _lock_agents([agent])
    _raise_if(shift_rule_errors(agent=agent, start=start, end=end, spans=spans))
    shift = stamp(Shift(agent=agent, team_id=agent.team_id, start=start, end=end, note=note), by)
    shift.save()
    _write_activities(shift, spans, by, "")
    return shift


@transaction.atomic
def shift_update(
    *, shift: Shift, start: datetime, end: datetime, spans, note: str = "", by=None
) -> Shift:
    """New times and activities for a shift (its activities are replaced)."""
    _lock_shift(shift)
    _raise_if(
        shift_rule_errors(
            agent=shift.agent, start=start, end=end, spans=spans, ignore_shift_ids=[shift.pk]
        )
    )
    shift.start, shift.end, shift.note = start, end, note
    stamp(shift, by).save()
    for activity in shift.activities.all():
        stamp(activity, by).delete()
    _write_activities(shift, spans, by, "")
    return shift


@transaction.atomic
def shift_move(*, shift: Shift, start: datetime, by=None) -> Shift:
    """Move a shift to a new start, keeping its length and its breaks' places in it."""
    _lock_shift(shift)
    delta = start - shift.start
    spans = [Span(s.kind, s.start + delta, s.end + delta) for s in planned_spans(shift)]
    return shift_update(
        shift=shift, start=start, end=shift.end + delta, spans=spans, note=shift.note, by=by
    )


@transaction.atomic
def shift_delete(*, shift: Shift, by=None) -> None:
    _lock_shift(shift)
    for activity in shift.activities.all():
        stamp(activity, by).delete()
    stamp(shift, by).delete()


@dataclass
class CopyResult:
    created: list[Shift] = field(default_factory=list)
    already_there: int = 0


@transaction.atomic
def schedule_copy(*, agents, first_day: date, days: int, to_day: date, by=None) -> CopyResult:
    """Copy the shifts starting on `days` local days from `first_day` of these agents to
    the same agents and clock times from `to_day` (a day to the next, a week to the next).

    Clock times are kept in local time, so a copy across a DST change starts at the same
    wall-clock time. A shift already there (same agent, start and end) is left as it is,
    so copying twice changes nothing; any other conflict stops the whole copy.
    """
    start, end = local_days(first_day, days)
    source = (
        Shift.objects.filter(agent__in=agents, start__gte=start, start__lt=end)
        .select_related("agent")
        .prefetch_related("activities")
        .order_by("agent", "start")
    )
    shift_by = to_day - first_day

    def moved(moment: datetime) -> datetime:
        wall = local(moment)
        return at_local(wall.date() + shift_by, wall.time())

    # What the target days already hold, read once: a shift found here is not copied again.
    target_start, target_end = local_days(to_day, days)
    already = set(
        Shift.objects.filter(
            agent__in=agents, start__gte=target_start, start__lt=target_end
        ).values_list("agent_id", "start", "end")
    )
    plans, result = [], CopyResult()
    for shift in source:
        new_start, new_end = moved(shift.start), moved(shift.end)
        if (shift.agent_id, new_start, new_end) in already:
            result.already_there += 1
            continue
        spans = [Span(s.kind, moved(s.start), moved(s.end)) for s in planned_spans(shift)]
        plans.append((shift.agent, new_start, new_end, spans, shift.note))
    _raise_if(_check_plans(plans))
    label = f"{first_day:%a %d %b}" if days == 1 else f"the week of {first_day:%d %b}"
    result.created = _create_shifts(plans, by, f"copied from {label}")
    return result


def template_spans(template: ShiftTemplate, day: date) -> tuple[datetime, datetime, list[Span]]:
    start = at_local(day, template.start_time)
    end = start + timedelta(minutes=template.minutes)
    spans = [
        Span(
            activity.kind,
            start + timedelta(minutes=activity.offset_minutes),
            start + timedelta(minutes=activity.offset_minutes + activity.minutes),
        )
        for activity in template.activities.all()
    ]
    return start, end, spans


@transaction.atomic
def template_apply(*, template: ShiftTemplate, agents, days, by=None) -> list[Shift]:
    """One shift from the template per agent and day: all of them, or none."""
    plans = []
    for day in sorted(days):
        start, end, spans = template_spans(template, day)
        plans += [(agent, start, end, spans, "") for agent in agents]
    errors = _check_plans(plans)
    if not plans:
        errors.append("Choose at least one agent and one day.")
    _raise_if(errors)
    return _create_shifts(plans, by, f"template {template.name}")


# --- CSV import -------------------------------------------------------------------------

SCHEDULE_COLUMNS = ("agent", "date", "start", "end", "activities", "note")
REQUIRED_COLUMNS = ("agent", "date", "start", "end")


@dataclass
class RowResult:
    line: int
    status: str  # created, updated, rejected
    errors: list[str] = field(default_factory=list)
    agent: str = ""


@dataclass
class ScheduleImport:
    rows: list[RowResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # problems with the file itself
    weeks_applied: list[date] = field(default_factory=list)  # Mondays, each committed

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def rejected(self) -> int:
        return self.count("rejected")


def _parse_clock(text: str, what: str) -> time:
    """A local wall-clock time; one with an offset ("08:00Z") is refused, since schedules
    are written in the contact center's own time."""
    try:
        clock = time.fromisoformat(text.strip())
    except ValueError:
        clock = None
    if clock is None or clock.tzinfo is not None:
        raise ValidationError(f"{what} '{text}' is not a time like 08:30.")
    return clock


def check_year(day: date) -> date:
    """Schedules live between the years 1900 and 2999 (and far from datetime's edges)."""
    if not 1900 <= day.year <= 2999:
        raise ValidationError(f"The date {day} is out of range: use a year from 1900 to 2999.")
    return day


def parse_activities(text: str, day: date, shift_start: datetime) -> list[Span]:
    """'break 10:00-10:15; lunch 12:30-13:00' -> spans; clock times on the shift's day,
    or the next day when earlier than the shift's start (night shifts)."""
    spans = []
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        try:
            kind, times = part.split(None, 1)
            first, last = (piece.strip() for piece in times.split("-", 1))
        except ValueError:
            raise ValidationError(
                f"Activity '{part}' should look like 'break 10:00-10:15'."
            ) from None
        kind = kind.lower()
        if kind not in PLANNED_KINDS:
            raise ValidationError(f"Activity '{kind}' is not one of {', '.join(PLANNED_KINDS)}.")
        start_clock, end_clock = _parse_clock(first, "Start"), _parse_clock(last, "End")
        start_day = day + timedelta(days=1) if start_clock < local(shift_start).time() else day
        start, end = span_between(start_day, start_clock, end_clock)
        spans.append(Span(kind, start, end))
    return spans


def _row_plan(row: dict, agents: dict[str, Agent]):
    if any("\x00" in value for value in row.values() if isinstance(value, str)):
        # A database cannot store it (PostgreSQL refuses it outright): the row is named.
        raise ValidationError("The row holds a NUL byte (\\x00), which a schedule cannot store.")
    login = (row.get("agent") or "").strip()
    agent = agents.get(login)
    if agent is None:
        raise ValidationError(f"No agent '{login}' on the teams you can schedule.")
    try:
        day = date.fromisoformat((row.get("date") or "").strip())
    except ValueError:
        raise ValidationError(f"Date '{row.get('date')}' is not a date like 2026-12-01.") from None
    check_year(day)
    start, end = span_between(
        day,
        _parse_clock(row.get("start") or "", "Start"),
        _parse_clock(row.get("end") or "", "End"),
    )
    spans = parse_activities(row.get("activities") or "", day, start)
    return agent, start, end, spans, (row.get("note") or "").strip()[:255]


def max_import_rows() -> int:
    return int(getattr(settings, "SCHEDULE_IMPORT_MAX_ROWS", DEFAULT_MAX_IMPORT_ROWS))


def read_schedule_file(data: bytes) -> list[tuple[int, dict]]:
    """The file's rows as (line number, row), or ValidationError when the file as a whole
    cannot be imported (not UTF-8 text, not CSV, columns missing, no rows, over the row
    limit): then nothing is written. Checked when the file is uploaded and again by the job."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    limit = max_import_rows()
    rows = []
    try:
        columns = [name.strip().lower() for name in reader.fieldnames or []]
        missing = [column for column in REQUIRED_COLUMNS if column not in columns]
        if missing:
            raise ValidationError(
                f"Missing column(s): {', '.join(missing)}. Expected: {', '.join(SCHEDULE_COLUMNS)}."
            )
        reader.fieldnames = columns
        previous_end = 1
        for row in reader:
            rows.append((previous_end + 1, row))  # the line the row starts on
            previous_end = reader.line_num
            if len(rows) > limit:
                raise ValidationError(
                    f"The file has more than {limit:,} rows, the most one import takes: "
                    "nothing was imported. Split it into smaller files (a week or a few "
                    "weeks each)."
                )
    except csv.Error as error:
        raise ValidationError(
            f"Line {reader.line_num + 1} is not readable CSV ({error}): nothing was imported."
        ) from None
    if not rows:
        raise ValidationError("The file has a header but no rows.")
    return rows


def _apply_row(plan, by, reason: str) -> str:
    """Write one checked row; a broken rule raises and writes nothing (its own savepoint)."""
    agent, start, end, spans, note = plan
    with transaction.atomic():
        same = agent.shifts.filter(start=start, end=end).first()
        if same is None:
            _lock_agents([agent])
            _raise_if(shift_rule_errors(agent=agent, start=start, end=end, spans=spans))
            _create_shifts([(agent, start, end, spans, note)], by, reason)
            return "created"
        shift_update(shift=same, start=start, end=end, spans=spans, note=note, by=by)
        return "updated"


def schedule_import(
    *, data: bytes, agents, by=None, name: str = "", progress=None
) -> ScheduleImport:
    """Shifts from a CSV file (columns in SCHEDULE_COLUMNS, local dates and clock times).

    The commit rule (docs/scheduling.md): per-row results, each week applied atomically.
    A file that cannot be read as a whole (read_schedule_file) writes nothing. Each row is
    checked on its own: bad rows are named with every reason and skipped, good rows kept.
    The good rows of one week (Monday to Sunday, by the row's date) are written in one
    transaction, weeks in date order, so an interruption leaves whole weeks written and
    `weeks_applied` says which; `progress(report)` is called after each week's commit.
    A row for an agent's existing shift with the same start and end replaces that shift's
    activities and note, so importing a file twice changes nothing. Only `agents` (those
    the importing user may schedule) can be named.
    """
    report = ScheduleImport()
    try:
        lines = read_schedule_file(data)
    except ValidationError as error:
        report.errors.extend(error.messages)
        return report
    by_login = {agent.login: agent for agent in agents}
    reason = f"CSV import {name}".strip()
    weeks: dict[date, list] = {}
    for line_number, row in lines:
        result = RowResult(line=line_number, status="rejected", agent=row.get("agent") or "")
        report.rows.append(result)
        try:
            plan = _row_plan(row, by_login)
        except ValidationError as error:
            result.errors = list(error.messages)
            continue
        result.status = "pending"
        weeks.setdefault(monday_of(local(plan[1]).date()), []).append((result, plan))
    for week in sorted(weeks):
        with transaction.atomic():
            for result, plan in weeks[week]:
                try:
                    result.status = _apply_row(plan, by, reason)
                except ValidationError as error:
                    result.status, result.errors = "rejected", list(error.messages)
        report.weeks_applied.append(week)
        if progress:
            progress(report)
    return report


def schedule_import_job_create(*, upload, team, by) -> ScheduleImportJob:
    """An uploaded schedule file checked as a whole (refused up front when it cannot be
    imported, over the row limit included) and queued for the worker: the job row, and
    `run_schedule_import` sent once that row is committed."""
    # tasks -> services: the task module is read when a job is created.
    from scheduling.tasks import run_schedule_import

    upload.seek(0)
    rows = read_schedule_file(upload.read())
    upload.seek(0)
    with transaction.atomic():
        job = ScheduleImportJob.objects.create(
            team=team,
            file=upload,
            original_name=upload.name[:255],
            rows_total=len(rows),
            created_by=by,
        )
        transaction.on_commit(lambda: run_schedule_import.delay(job.pk))
    return job


def _job_summary(report: ScheduleImport) -> dict:
    return {
        "rows": len(report.rows),
        "created": report.created,
        "updated": report.updated,
        "rejected": report.rejected,
        "weeks_applied": [str(week) for week in report.weeks_applied],
    }


def _rejected_lines(report: ScheduleImport) -> list:
    return [
        [row.line, row.agent, " ".join(row.errors)]
        for row in report.rows
        if row.status == "rejected"
    ]


def run_schedule_import_job(job_id: int) -> None:
    """Import an uploaded schedule file for its team as the user who uploaded it, saving
    progress on the job after each week. Every failure ends the job as failed with its
    reason, naming the weeks already written."""
    job = ScheduleImportJob.objects.select_related("team", "created_by").get(pk=job_id)
    if job.finished:
        return  # a redelivered task: the import already ran
    job.status = JobStatus.RUNNING
    job.started_at = job.heartbeat_at = timezone.now()
    job.save(update_fields=["status", "started_at", "heartbeat_at"])
    written: list[str] = []

    def progress(report):
        written[:] = _job_summary(report)["weeks_applied"]
        done = sum(1 for row in report.rows if row.status != "pending")
        ScheduleImportJob.objects.filter(pk=job_id).update(
            rows_total=len(report.rows),
            rows_done=done,
            summary=_job_summary(report),
            rejected_lines=_rejected_lines(report),
            heartbeat_at=timezone.now(),
        )

    try:
        user = job.created_by
        agents = access.editable_agents(user).filter(team=job.team, active=True) if user else []
        with job.file.open("rb") as binary:
            data = binary.read()
        report = schedule_import(
            data=data, agents=agents, by=user, name=job.original_name, progress=progress
        )
    except Exception as error:  # noqa: BLE001 - every failure ends the job, with its reason
        job.refresh_from_db(fields=["summary", "rejected_lines", "rows_done", "rows_total"])
        kept = (
            f" The weeks written before it are kept: {', '.join(written)}."
            if written
            else " Nothing was written."
        )
        job.status = JobStatus.FAILED
        job.error = f"The import stopped: {type(error).__name__}: {error}.{kept}"
    else:
        if report.errors:
            job.status, job.error = JobStatus.FAILED, " ".join(report.errors)
        else:
            job.status = JobStatus.DONE
            job.rows_total = job.rows_done = len(report.rows)
        job.summary = _job_summary(report)
        job.rejected_lines = _rejected_lines(report)
    job.finished_at = timezone.now()
    job.save()


# --- Time off ---------------------------------------------------------------------------


@transaction.atomic
def time_off_create(
    *,
    agent: Agent,
    start: datetime,
    end: datetime,
    reason: str = "",
    status: str = TimeOffStatus.REQUESTED,
    by=None,
) -> TimeOff:
    if end <= start:
        raise ValidationError("Time off must end after it starts.")
    time_off = TimeOff(agent=agent, start=start, end=end, reason=reason)
    time_off.status = TimeOffStatus.REQUESTED
    stamp(time_off, by).save()
    if status != TimeOffStatus.REQUESTED:
        time_off_decide(time_off=time_off, status=status, by=by)
    return time_off


@transaction.atomic
def time_off_decide(*, time_off: TimeOff, status: str, by=None) -> TimeOff:
    """Approve or reject. Approval is refused while shifts lie on the time off: they are
    moved or deleted first, so no one is scheduled while away."""
    if status not in TimeOffStatus.values:
        raise ValidationError(f"Unknown status '{status}'.")
    if status == TimeOffStatus.APPROVED:
        _lock_agents([time_off.agent])
        clashes = time_off.agent.shifts.filter(start__lt=time_off.end, end__gt=time_off.start)
        _raise_if(
            [
                f"{time_off.agent}: the shift {describe(shift.start, shift.end)} lies on this "
                f"time off; move or delete it first."
                for shift in clashes
            ]
        )
    time_off.status = status
    stamp(time_off, by).save()
    return time_off
