"""What every background job of the product shares (contact imports, schedule imports,
KPI re-rolls): its four statuses and how far along it is."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class JobProgress:
    """Progress of a job model from its status and two counters, named by the model's
    `progress_fields` (done, total): bytes for a file import, rows, days."""

    progress_fields: tuple[str, str]

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        done, total = (getattr(self, name) for name in self.progress_fields)
        return int(100 * done / total) if total else 0

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def pending(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


def worker_stopped(minutes: int, advice: str) -> str:
    """What a job silent for `minutes` says it ended with."""
    return f"The worker stopped: no progress for {minutes} minutes. {advice}".rstrip()


class StaleWhenSilent:
    """A running job whose worker wrote no heartbeat (`heartbeat_at`, else `started_at`)
    for the minutes of the model's `stale_setting` lost its worker: it is marked failed,
    so its page stops waiting. The model names the setting, its default and what the
    person should do next (`stopped_advice`)."""

    stale_setting: str
    stale_default: int
    stopped_advice = ""

    @classmethod
    def stale_minutes(cls) -> int:
        return int(getattr(settings, cls.stale_setting, cls.stale_default))

    @classmethod
    def stale_running(cls):
        cutoff = timezone.now() - timedelta(minutes=cls.stale_minutes())
        return cls.objects.filter(status=JobStatus.RUNNING).filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        )

    def stopped_message(self) -> str:
        return worker_stopped(self.stale_minutes(), self.stopped_advice)

    def fail_if_stale(self) -> bool:
        """Mark this job failed if it is running and silent for too long; no query
        unless it is. True when it was marked."""
        if self.status != JobStatus.RUNNING:
            return False
        beat = self.heartbeat_at or self.started_at
        if beat is None or beat >= timezone.now() - timedelta(minutes=self.stale_minutes()):
            return False
        error = self.stopped_message()
        marked = (
            type(self)
            .stale_running()
            .filter(pk=self.pk)
            .update(status=JobStatus.FAILED, error=error, finished_at=timezone.now())
        )
        if marked:  # else it moved on meanwhile
            self.status, self.error = JobStatus.FAILED, error
        return bool(marked)
