"""What every background job of the product shares (contact imports, schedule imports,
KPI re-rolls): its four statuses and how far along it is."""

from django.db import models


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
