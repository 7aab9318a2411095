"""The schedule CSV import (docs/scheduling.md, docs/reliability.md "Schedule imports")."""

from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from scheduling import services, tasks
from scheduling.models import ScheduleImportJob, Shift

pytestmark = pytest.mark.django_db

NUL_FILE = (
    b"agent,date,start,end,activities,note\n"
    b"A-1,2026-03-02,08:00,16:00,,bad \x00 note\n"
    b"A-1,2026-03-03,08:00,16:00,lunch 12:00-12:30,good\n"
)


def test_a_nul_byte_rejects_its_row_and_keeps_the_good_one(agent_a, supervisor_a):
    report = services.schedule_import(data=NUL_FILE, agents=[agent_a], by=supervisor_a)
    assert [(row.line, row.status) for row in report.rows] == [(2, "rejected"), (3, "created")]
    assert "NUL byte" in " ".join(report.rows[0].errors)
    assert list(Shift.objects.values_list("note", flat=True)) == ["good"]


# --- the import as a job (item 8) ----------------------------------------------------------

WEEK = date(2026, 3, 2)  # a Monday


def _upload(client, team, data: bytes, name="week.csv"):
    return client.post(
        reverse("schedule-import", args=[team.pk]), {"file": SimpleUploadedFile(name, data)}
    )


def _rows(count: int, start: date = WEEK) -> bytes:
    """`count` valid rows for agent A-1: one 1-hour shift every 2 hours from `start` on."""
    lines = ["agent,date,start,end,activities,note"]
    for number in range(count):
        moment = datetime.combine(start, datetime.min.time()) + timedelta(hours=2 * number)
        end = moment + timedelta(hours=1)
        lines.append(f"A-1,{moment:%Y-%m-%d},{moment:%H:%M},{end:%H:%M},,row {number}")
    return ("\n".join(lines) + "\n").encode()


def test_the_upload_queues_a_job_and_the_nul_row_is_named_on_its_page(
    client, supervisor_a, team_a, agent_a, django_capture_on_commit_callbacks
):
    client.force_login(supervisor_a)
    with (
        mock.patch("scheduling.tasks.run_schedule_import.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = _upload(client, team_a, NUL_FILE)
    job = ScheduleImportJob.objects.get()
    assert response.url == reverse("schedule-import-detail", args=[job.pk])
    delay.assert_called_once_with(job.pk)
    assert job.status == "queued" and job.rows_total == 2 and job.team == team_a
    assert not Shift.objects.exists()  # nothing written by the request itself

    tasks.run_schedule_import(job.pk)  # what the worker does
    job.refresh_from_db()
    assert job.status == "done" and job.percent == 100 and job.error == ""
    assert job.summary == {"rows": 2, "created": 1, "updated": 0, "rejected": 1,
                           "weeks_applied": ["2026-03-02"]}  # fmt: skip
    assert job.rejected_lines == [
        [2, "A-1", "The row holds a NUL byte (\\x00), which a schedule cannot store."]
    ]
    assert list(Shift.objects.values_list("note", flat=True)) == ["good"]
    page = client.get(response.url).content.decode()
    assert "Rejected rows" in page and "NUL byte" in page and 'data-finished="true"' in page
    assert "a week is written whole or not at all" in page
    status = client.get(reverse("schedule-import-status", args=[job.pk])).json()
    assert status["finished"] and status["status"] == "done"
    download = client.get(reverse("schedule-import-rejected", args=[job.pk]))
    assert b"".join(download.streaming_content).decode().splitlines()[1].startswith("2,A-1,")


def test_two_thousand_rows_run_as_a_job_through_celery_and_end_done(
    client, supervisor_a, team_a, agent_a, django_capture_on_commit_callbacks
):
    """The upload's on-commit sends the task; an eager Celery runs it as a worker would."""
    from contactcenter.celery import app

    app.conf.task_always_eager = True
    try:
        client.force_login(supervisor_a)
        with django_capture_on_commit_callbacks(execute=True):
            response = _upload(client, team_a, _rows(2000))
    finally:
        app.conf.task_always_eager = False
    job = ScheduleImportJob.objects.get()
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert job.rows_total == job.rows_done == 2000
    assert job.summary["created"] == 2000 and job.summary["rejected"] == 0
    assert len(job.summary["weeks_applied"]) == 24  # 2,000 rows, 12 a day: 167 days
    assert Shift.objects.count() == 2000


def test_a_file_over_the_row_limit_is_refused_up_front(client, settings, supervisor_a, team_a):
    settings.SCHEDULE_IMPORT_MAX_ROWS = 50
    client.force_login(supervisor_a)
    response = _upload(client, team_a, _rows(51))
    assert response.status_code == 400
    assert "more than 50 rows" in response.content.decode()
    assert not ScheduleImportJob.objects.exists() and not Shift.objects.exists()
    assert (
        "At most 50 rows per file"
        in client.get(reverse("schedule-import", args=[team_a.pk])).content.decode()
    )
    assert _upload(client, team_a, _rows(50)).status_code == 302
    job = ScheduleImportJob.objects.get()  # the file at the limit is taken, whole
    assert (job.original_name, job.team) == ("week.csv", team_a)


def test_a_failing_job_ends_failed_with_its_reason_and_names_the_weeks_written(
    client, supervisor_a, team_a, agent_a
):
    client.force_login(supervisor_a)
    with mock.patch("scheduling.tasks.run_schedule_import.delay"):
        _upload(client, team_a, _rows(200))  # 200 rows: 17 days, 3 weeks
    job = ScheduleImportJob.objects.get()
    real = services._apply_row
    calls = []

    def crash_in_the_second_week(plan, by, reason):
        calls.append(plan)
        if services.local(plan[1]).date() >= WEEK + timedelta(days=8):
            raise RuntimeError("disk full")
        return real(plan, by, reason)

    with mock.patch.object(services, "_apply_row", crash_in_the_second_week):
        tasks.run_schedule_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.finished and job.finished_at
    assert "RuntimeError: disk full" in job.error
    assert "weeks written before it are kept: 2026-03-02" in job.error
    # The first week whole, nothing of the second (its first day was written, then undone).
    assert Shift.objects.count() == 84 and job.summary["weeks_applied"] == ["2026-03-02"]
    page = client.get(reverse("schedule-import-detail", args=[job.pk])).content.decode()
    assert "disk full" in page and 'data-finished="true"' in page
    assert client.get(reverse("schedule-import-status", args=[job.pk])).json()["finished"]
    # A file that breaks as a whole (the columns were changed after upload) fails too.
    job2 = ScheduleImportJob.objects.create(
        team=team_a, file=SimpleUploadedFile("x.csv", b"who,when\nx,y\n"),
        original_name="x.csv", created_by=supervisor_a,
    )  # fmt: skip
    services.run_schedule_import_job(job2.pk)
    job2.refresh_from_db()
    assert job2.status == "failed" and "Missing column(s): agent, date, start, end" in job2.error


def test_the_page_polls_while_running_and_stops_when_finished(client, supervisor_a, team_a):
    client.force_login(supervisor_a)
    job = ScheduleImportJob.objects.create(
        team=team_a, file=SimpleUploadedFile("w.csv", _rows(3)), original_name="w.csv",
        created_by=supervisor_a, status="running", rows_total=3, rows_done=1,
    )  # fmt: skip
    page = client.get(reverse("schedule-import-detail", args=[job.pk])).content.decode()
    status_url = reverse("schedule-import-status", args=[job.pk])
    assert f'data-status-url="{status_url}"' in page and 'data-finished="false"' in page
    assert "js/job_progress.js" in page  # the one polling script, which stops when finished
    status = client.get(status_url).json()
    assert status == {"status": "running", "percent": 33, "finished": False, "rows_total": 3,
                      "rows_done": 1, "summary": {}, "error": ""}  # fmt: skip
    job.status = "failed"
    job.save()
    page = client.get(reverse("schedule-import-detail", args=[job.pk])).content.decode()
    assert 'data-finished="true"' in page  # the script returns before its first poll
    assert client.get(status_url).json()["finished"]


def test_another_teams_supervisor_gets_404_and_agents_cannot_import(
    client, supervisor_a, supervisor_b, team_a, team_b, agent_a
):
    job = ScheduleImportJob.objects.create(
        team=team_a, file=SimpleUploadedFile("w.csv", _rows(3)), original_name="w.csv",
        created_by=supervisor_a,
    )  # fmt: skip
    client.force_login(supervisor_b)
    for name in ("schedule-import-detail", "schedule-import-status", "schedule-import-rejected"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    assert _upload(client, team_a, _rows(3)).status_code == 404
    assert ScheduleImportJob.objects.count() == 1
    # The job runs as its uploader: only agents of teams they may schedule can be named.
    client.force_login(agent_a.user)
    assert client.get(reverse("schedule-import-detail", args=[job.pk])).status_code == 404
    assert _upload(client, team_a, _rows(3)).status_code == 404
    supervisor_a.supervised_teams.clear()  # lost the team before the worker ran
    services.run_schedule_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.summary["rejected"] == 3 and not Shift.objects.exists()


def test_a_job_whose_worker_died_is_marked_failed_and_its_page_stops(client, supervisor_a, team_a):
    from django.utils import timezone

    client.force_login(supervisor_a)
    job = ScheduleImportJob.objects.create(
        team=team_a, file=SimpleUploadedFile("w.csv", _rows(3)), original_name="w.csv",
        created_by=supervisor_a, status="running", started_at=timezone.now(),
        heartbeat_at=timezone.now() - timedelta(minutes=5),
        summary={"weeks_applied": ["2026-03-02"]},
    )  # fmt: skip
    status_url = reverse("schedule-import-status", args=[job.pk])
    assert not client.get(status_url).json()["finished"]  # 5 minutes: still working
    ScheduleImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=16)
    )
    status = client.get(status_url).json()
    assert status["finished"] and status["status"] == "failed"
    assert "no progress for 15 minutes. Weeks written: 2026-03-02" in status["error"]
    page = client.get(reverse("schedule-import-detail", args=[job.pk])).content.decode()
    assert 'data-finished="true"' in page and "The worker stopped" in page
