"""Every import job ends (issue 15, item 7): a field over the csv limit, an unexpected
error and a worker that died all end the job failed or done with the reason, and the
progress page stops polling."""

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from core.jobs import JobStatus
from interactions import imports, tasks
from interactions.models import ImportJob, Interaction

pytestmark = pytest.mark.django_db

HEADER = "external_id,channel,queue,topic,arrived_at\n"
TEN_MB = "x" * (10 * 1024 * 1024)


def row(external_id, topic="t"):
    return f"{external_id},voice,Billing,{topic},2026-03-02T09:00:00Z\n"


def job_for(text: str, manager) -> ImportJob:
    job = ImportJob(original_name="big.csv", format="native", created_by=manager)
    job.file.save("big.csv", ContentFile(text.encode()), save=False)
    job.save()
    return job


def test_a_ten_megabyte_field_rejects_its_line_and_keeps_the_good_rows(client, manager):
    job = job_for(HEADER + row("a1") + row("big", TEN_MB) + row("a2"), manager)
    imports.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.finished_at is not None
    assert (job.summary["lines"], job.summary["created"], job.summary["rejected"]) == (3, 2, 1)
    assert job.rejected_lines == [[3, "", imports.FIELD_TOO_LONG]]
    assert "field longer than 1 MB" in imports.FIELD_TOO_LONG
    assert set(Interaction.objects.values_list("external_id", flat=True)) == {"a1", "a2"}
    client.force_login(manager)
    status = client.get(reverse("import-status", args=[job.pk])).json()
    assert status["finished"] and status["status"] == "done"


def test_a_long_field_quoted_over_several_lines_fails_the_job_naming_the_line(manager):
    text = HEADER + row("a1") + f'b1,voice,Billing,"one\n{TEN_MB}\nthree",2026-03-02T09:00:00Z\n'
    job = job_for(text + row("a2"), manager)
    imports.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert job.error.startswith("Line 3: A field longer than 1 MB")
    assert "stopped there" in job.error
    assert job.summary["created"] == 1  # the line before it was imported
    assert list(Interaction.objects.values_list("external_id", flat=True)) == ["a1"]


def test_a_field_within_the_stated_maximum_is_read_then_judged_by_the_contract():
    long_topic = "y" * (512 * 1024)  # over the csv module's own 128 KiB, under 1 MB
    summary = imports.import_contacts(io.BytesIO((HEADER + row("t1", long_topic)).encode()))
    [(line, external_id, reason)] = summary.rejected_lines
    assert (line, external_id) == (2, "t1") and reason.startswith("topic:")


def test_an_unexpected_error_fails_the_job_with_its_reason(manager, monkeypatch, client):
    job = job_for(HEADER + row("a1"), manager)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(imports.services, "ingest_contacts", broken)
    imports.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert "RuntimeError: the disk went away" in job.error
    client.force_login(manager)
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert "the disk went away" in page and 'data-finished="true"' in page


def test_a_running_job_without_a_heartbeat_becomes_failed(client, manager, settings):
    settings.IMPORT_STALE_MINUTES = 10
    job = job_for(HEADER + row("a1"), manager)
    long_ago = timezone.now() - timedelta(minutes=11)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    alive = job_for(HEADER + row("a2"), manager)
    ImportJob.objects.filter(pk=alive.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=timezone.now()
    )
    client.force_login(manager)
    status = client.get(reverse("import-status", args=[job.pk])).json()
    assert status["finished"] and status["status"] == "failed"
    assert "worker stopped" in status["error"].lower()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert not client.get(reverse("import-status", args=[alive.pk])).json()["finished"]


def test_beat_marks_stale_jobs_failed(manager, settings):
    settings.IMPORT_STALE_MINUTES = 5
    job = job_for(HEADER + row("a1"), manager)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now() - timedelta(minutes=6)
    )
    queued = job_for(HEADER + row("a2"), manager)  # waiting for a worker: left alone
    assert tasks.fail_stale_imports() == 1
    job.refresh_from_db()
    queued.refresh_from_db()
    assert job.status == JobStatus.FAILED and "worker stopped" in job.error.lower()
    assert queued.status == JobStatus.QUEUED
    assert "fail-stale-imports" in settings.CELERY_BEAT_SCHEDULE
