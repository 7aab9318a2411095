"""Re-rolling past days when something they were rolled with changes.

A rollup bakes in a queue's thresholds (answered in service level, short abandon), the
local day of `TIME_ZONE`, the FCR repeat window (`KPI_REPEAT_WINDOW_DAYS`), the state
cap (`KPI_STATE_CAP_HOURS`) and the components it stores (a component added to the
registry is empty on the days rolled before it). Changing one leaves the days rolled before it stale, so the
change queues a RollupJob, which a Celery task (kpis.tasks.run_rollup_job) rolls in batches
with progress, while the pages say so in a banner:

- a queue's threshold changed in the admin: the days on which the queue has contacts;
- a setting changed: every day, queued once by the minute's beat task (check_settings),
  which compares the running settings with those recorded on RollupState.

Re-rolling a day is idempotent (kpis.rollup.roll_up_days), so a job interrupted anywhere
is simply run on from its last finished batch; a job is claimed with a conditional update,
so two workers never run the same job side by side.
"""

import hashlib
import logging
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Max, Min, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.jobs import JobStatus
from interactions.outcomes import repeat_window
from interactions.signals import thresholds_phrase
from kpis import rollup
from kpis.definitions import CONTACT_COMPONENTS, STATE_COMPONENTS
from kpis.models import (
    AgentDay,
    ContactDay,
    RollupJob,
    RollupJobKind,
    RollupState,
)
from kpis.rollup import rebuild

logger = logging.getLogger(__name__)

# Days per call to rollup.roll_up_days: one transaction on PostgreSQL (its DAYS_PER_RUN
# consecutive days), and one step of the progress shown. A job of every day stays in
# batches rather than the full rebuild `rollup_kpis --all` runs (kpis.rollup.rebuild,
# faster over a whole history): the newest days are right after the first batch, not all
# at the end; each batch commits, so a job stopped by its time budget, a deploy or a lost
# worker runs on from there, where a rebuild starts over and, for a history long enough,
# outlasts the task's time limit every time; and the minute's rollup runs between
# batches, where a rebuild holds it off (the RollupState lock) from start to end.
BATCH_DAYS = 31
# A task rolls batches this long, then hands the rest of the job to a new task: far
# inside CELERY_TASK_SOFT_TIME_LIMIT, and the minute's rollup gets a worker meanwhile.
TIME_BUDGET = timedelta(minutes=5)
# A waiting or running job silent this long lost its message or its worker (a crash, a
# deploy): the beat task sends it again, and the next worker runs on from its last batch.
STALE_AFTER = timedelta(minutes=15)
# A new time zone moves an instant's local day by up to two days (UTC-12 to UTC+14): a
# full re-roll also covers two days either side of the stored ones.
EDGE_DAYS = 2
# Jobs the banner shows at most.
BANNER_JOBS = 3

PENDING = (JobStatus.QUEUED, JobStatus.RUNNING)
SETTING_NAMES = {
    "time_zone": "TIME_ZONE",
    "repeat_window_days": "KPI_REPEAT_WINDOW_DAYS",
    "state_cap_hours": "KPI_STATE_CAP_HOURS",
    "components": "the rollups' components or tables",
}


# Settings -------------------------------------------------------------------------------


def components_fingerprint() -> str:
    """A short digest of the columns a rollup fills now (the registry's components, and
    every rollup table's keys): it changes when a component, a table or a key is added
    (the hour table, an agent's day by channel), so the days rolled before are rolled
    again and the new rows exist for them too."""
    columns = [
        f"{model._meta.db_table}.{field.column}"
        for model in rebuild.TABLES
        for field in model._meta.concrete_fields
        if field.column not in (*CONTACT_COMPONENTS, *STATE_COMPONENTS)
    ]
    names = ",".join((*CONTACT_COMPONENTS, *STATE_COMPONENTS, *sorted(columns)))
    return hashlib.sha256(names.encode()).hexdigest()[:16]


def current_settings() -> dict:
    """The settings a rollup made now uses (as kpis.rollup reads them)."""
    return {
        "time_zone": settings.TIME_ZONE,
        "repeat_window_days": repeat_window() / timedelta(days=1),
        "state_cap_hours": rollup.state_cap() / timedelta(hours=1),
        "components": components_fingerprint(),
    }


def recorded_settings(state: RollupState) -> dict | None:
    if state.settings_recorded_at is None:
        return None
    return {name: getattr(state, name) for name in SETTING_NAMES}


def record_settings(values: dict | None = None, *, since=None) -> None:
    """Every stored rollup was (re-)rolled with these settings from `since` on."""
    RollupState.objects.get_or_create(pk=1)
    RollupState.objects.filter(pk=1).update(
        **(values or current_settings()), settings_recorded_at=since or timezone.now()
    )


def describe_change(old: dict, new: dict) -> str:
    """'TIME_ZONE changed from UTC to Europe/Paris' (a clause, for the banner)."""

    def shown(value):
        return f"{value:g}" if isinstance(value, float) else str(value)

    changes = [
        # A digest says nothing to a reader: the components are only said to have changed.
        f"{setting} changed"
        if name == "components"
        else f"{setting} changed from {shown(old[name])} to {shown(new[name])}"
        for name, setting in SETTING_NAMES.items()
        if old[name] != new[name]
    ]
    return " and ".join(changes)[:255]


def check_settings() -> RollupJob | None:
    """Beat, every minute: re-roll every day once when the settings changed.

    Nothing is queued while a full re-roll waits or runs, nor again after one for these
    settings failed (it says so; "Run again" in the admin retries it). With nothing
    recorded yet (a new database, or one from before this check) the running settings
    are recorded as they are.
    """
    state, _ = RollupState.objects.get_or_create(pk=1)
    current, recorded = current_settings(), recorded_settings(state)
    if recorded is None:
        record_settings(current)
        return None
    if recorded == current:
        return None
    jobs = RollupJob.objects.filter(kind=RollupJobKind.ALL).filter(
        Q(status__in=PENDING) | Q(created_at__gte=state.settings_recorded_at)
    )
    if any(
        status in PENDING or target == current
        for status, target in jobs.values_list("status", "target_settings")
    ):
        return None
    job = reroll_all(describe_change(recorded, current))
    if job is None:  # no rollups stored: none can be stale
        record_settings(current)
    return job


# Queueing -------------------------------------------------------------------------------


def reroll_queue(queue, *, by=None, reason: str = "") -> RollupJob | None:
    """Queue a re-roll of the local days on which this queue has contacts (read from the
    day rollup in one query, never from raw history); None when it has none."""
    days = (
        ContactDay.objects.filter(queue=queue)
        .order_by("-day")
        .values_list("day", flat=True)
        .distinct()
    )
    return _queue_job(
        RollupJobKind.DAYS,
        reason or f"the thresholds of {queue.name} changed",
        list(days),
        by=by,
    )


def reroll_all(reason: str, *, by=None) -> RollupJob | None:
    """Queue a re-roll of every day with data (None when no rollup is stored yet).

    One full re-roll at a time: while one waits or runs, it is returned instead, as it
    covers everything a second one would.
    """
    pending = RollupJob.objects.filter(kind=RollupJobKind.ALL, status__in=PENDING).first()
    if pending is not None:
        return pending
    try:
        with transaction.atomic():
            return _queue_job(RollupJobKind.ALL, reason, every_day(), by=by)
    except IntegrityError:  # another process queued one a moment ago
        return RollupJob.objects.filter(kind=RollupJobKind.ALL, status__in=PENDING).first()


def stored_range() -> tuple[date, date] | None:
    """The first and last local day a rollup is stored for (two indexed aggregates)."""
    bounds = [
        model.objects.aggregate(first=Min("day"), last=Max("day"))
        for model in (ContactDay, AgentDay)
    ]
    firsts = [b["first"] for b in bounds if b["first"]]
    if not firsts:
        return None
    return min(firsts), max(b["last"] for b in bounds if b["last"])


def every_day() -> list[date]:
    """Every local day a rollup is stored for, newest first, with EDGE_DAYS either side
    (days in between without data cost next to nothing)."""
    stored = stored_range()
    if stored is None:
        return []
    first = stored[0] - timedelta(days=EDGE_DAYS)
    last = stored[1] + timedelta(days=EDGE_DAYS)
    return [last - timedelta(days=n) for n in range((last - first).days + 1)]


def _queue_job(kind, reason, days, *, by=None) -> RollupJob | None:
    if not days:
        return None
    job = RollupJob.objects.create(
        kind=kind,
        reason=reason[:255],
        requested_by=by if by is not None and by.is_authenticated else None,
        # Newest first: the days people look at are right soonest.
        days=[day.isoformat() for day in sorted(days, reverse=True)],
        days_total=len(days),
        target_settings=current_settings() if kind == RollupJobKind.ALL else None,
        heartbeat_at=timezone.now(),
    )
    send(job.pk)
    return job


def send(job_id: int) -> None:
    """Hand the job to a worker once the transaction that queued it commits. If the broker
    is down, the job waits: the beat task sends it again (resend_stalled_jobs)."""
    from kpis.tasks import run_rollup_job  # tasks import this module

    transaction.on_commit(lambda: run_rollup_job.delay(job_id), robust=True)


def on_queue_thresholds_changed(sender, queue, changed, by=None, **kwargs):
    """interactions.signals.queue_thresholds_changed: re-roll the queue's days."""
    return reroll_queue(queue, by=by, reason=f"the {thresholds_phrase(changed)} of {queue} changed")


# Running --------------------------------------------------------------------------------


def run_job(job_id: int, *, budget: timedelta = TIME_BUDGET) -> str | None:
    """Roll a queued job's remaining days in batches; returns the job's status afterwards,
    or None when this call did not get the job (running elsewhere, finished, unknown).

    After `budget` the job goes back to the queue for a new task to carry on. An error
    marks the job failed with it and stops.
    """
    token = uuid.uuid4().hex
    claimed = RollupJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, worker=token, heartbeat_at=timezone.now()
    )
    if not claimed:
        return None
    mine = RollupJob.objects.filter(pk=job_id, worker=token)
    job = RollupJob.objects.get(pk=job_id)
    if job.started_at is None:
        job.started_at = timezone.now()
        mine.update(started_at=job.started_at)
    began = time.monotonic()
    batch = []
    try:
        if job.kind == RollupJobKind.ALL and job.target_settings != current_settings():
            # The settings changed again since it was queued: start over for these.
            job.days = [day.isoformat() for day in every_day()]
            job.days_total, job.days_done = len(job.days), 0
            job.target_settings, job.started_at = current_settings(), timezone.now()
            mine.update(
                days=job.days,
                days_total=job.days_total,
                days_done=0,
                target_settings=job.target_settings,
                started_at=job.started_at,
            )
        while job.days_done < job.days_total:
            batch = job.days[job.days_done : job.days_done + BATCH_DAYS]
            rollup.roll_up_days(date.fromisoformat(day) for day in batch)
            job.days_done += len(batch)
            if not mine.update(days_done=job.days_done, heartbeat_at=timezone.now()):
                return None  # silent too long: another worker has it now
            if job.days_done < job.days_total and time.monotonic() - began > budget.total_seconds():
                mine.update(status=JobStatus.QUEUED, worker="", heartbeat_at=timezone.now())
                send(job_id)
                return JobStatus.QUEUED
    except Exception as error:
        logger.exception("Re-roll job %s failed", job_id)
        where = f"rolling {batch[-1]} to {batch[0]}: " if batch else ""
        mine.update(
            status=JobStatus.FAILED,
            error=f"Failed {where}{type(error).__name__}: {error}",
            worker="",
            finished_at=timezone.now(),
        )
        return JobStatus.FAILED
    with transaction.atomic():
        finished = mine.update(status=JobStatus.DONE, worker="", finished_at=timezone.now())
        if finished and job.kind == RollupJobKind.ALL:
            record_settings(job.target_settings, since=job.started_at)
    return JobStatus.DONE if finished else None


def resend_stalled_jobs() -> list[int]:
    """Beat: send again the jobs that have waited or run silently for STALE_AFTER (a lost
    message, a worker gone); a worker still busy with one stops at its next batch."""
    now = timezone.now()
    stalled = RollupJob.objects.filter(status__in=PENDING, heartbeat_at__lt=now - STALE_AFTER)
    resent = []
    for job_id in stalled.values_list("pk", flat=True):
        # Conditional, so a job that showed life meanwhile keeps its worker.
        if stalled.filter(pk=job_id).update(status=JobStatus.QUEUED, worker="", heartbeat_at=now):
            send(job_id)
            resent.append(job_id)
    return resent


def run_again(jobs) -> int:
    """Queue failed jobs again; they carry on from their last finished batch."""
    again = 0
    for job_id in jobs.filter(status=JobStatus.FAILED).values_list("pk", flat=True):
        if RollupJob.objects.filter(pk=job_id, status=JobStatus.FAILED).update(
            status=JobStatus.QUEUED,
            error="",
            finished_at=None,
            heartbeat_at=timezone.now(),
        ):
            send(job_id)
            again += 1
    return again


# Reading --------------------------------------------------------------------------------


def banner_jobs() -> list[RollupJob]:
    """The jobs the pages' banner shows, oldest first, in one query: those waiting or
    running, and failed ones that no full re-roll (a job or `rollup_kpis --all`) has
    covered since."""
    covered_since = Coalesce(
        Subquery(RollupState.objects.filter(pk=1).values("settings_recorded_at")),
        Value(datetime.min.replace(tzinfo=UTC)),
        output_field=DateTimeField(),
    )
    shown = Q(status__in=PENDING) | Q(status=JobStatus.FAILED, created_at__gt=covered_since)
    return list(
        RollupJob.objects.filter(shown)
        .order_by("created_at")
        .only("reason", "status", "days_total", "days_done")[:BANNER_JOBS]
    )
