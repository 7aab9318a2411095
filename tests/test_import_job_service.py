"""Queueing an uploaded contact file: one service makes the job row and sends the task on
commit; the upload page only calls it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from interactions import services, tasks
from interactions.models import ImportJob, Interaction

pytestmark = pytest.mark.django_db

FILE = (
    "external_id,channel,queue,arrived_at,ended_at\n"
    "s1,voice,Billing,2026-03-02T09:00:00Z,2026-03-02T09:01:00Z\n"
)


def upload(text=FILE, name="week.csv"):
    return SimpleUploadedFile(name, text.encode())


@pytest.fixture
def sent(monkeypatch):
    """The job ids handed to the broker."""
    ids = []
    monkeypatch.setattr(tasks.run_import, "delay", ids.append)
    return ids


def test_the_job_is_stored_and_its_task_sent_once_committed(
    manager, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_create(
            upload=upload(),
            format="native",
            source="crm",
            dry_run=True,
            by=manager,
        )
        assert sent == []  # not before the row is committed
    job.refresh_from_db()
    assert sent == [job.pk]
    assert (job.status, job.format, job.source, job.dry_run) == ("queued", "native", "crm", True)
    assert job.created_by == manager and job.bytes_total == len(FILE.encode())
    assert job.original_name == "week.csv"
    assert job.file.read().decode() == FILE


def test_nothing_is_sent_for_a_transaction_that_rolls_back(
    manager, sent, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.import_job_create(
            upload=upload(), format="native", source="", dry_run=False, by=manager
        )
        raise RuntimeError("the request failed after the job was made")
    assert callbacks == [] and sent == [] and not ImportJob.objects.exists()


def test_a_sent_job_is_imported_by_the_task(manager, django_capture_on_commit_callbacks):
    """With the task run in this process, the committed job comes back done."""
    from contactcenter.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = services.import_job_create(
                upload=upload(), format="native", source="", dry_run=False, by=manager
            )
    finally:
        app.conf.task_always_eager = before
    job.refresh_from_db()
    assert job.status == "done" and job.summary["created"] == 1
    # Exactly the file's one row, stored once, with the default source.
    assert list(Interaction.objects.values_list("external_id", "source")) == [("s1", "csv")]
