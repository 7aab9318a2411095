"""A changed setting changes the numbers: queue thresholds and KPI settings re-roll the past
days in the background (kpis.rerolls), with progress, once, and say so meanwhile."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from interactions.models import Interaction
from kpis import rerolls, rollup, tasks
from kpis.models import AgentDay, ContactDay, ContactInterval, RollupJob, RollupState
from kpis.selectors import SeriesRequest, kpi_series
from tests.factories import InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db

SALES_DAYS = [date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 10)]
BILLING_DAY = date(2026, 3, 6)


@pytest.fixture
def eager_celery():
    """`.delay()` runs the task at once, in this process: the real dispatch path."""
    from contactcenter.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def at(day, hour=9, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def answered(queue, day, wait, **fields):
    arrived = fields.pop("arrived_at", at(day))
    return InteractionFactory(
        queue=queue,
        arrived_at=arrived,
        answered_at=arrived + timedelta(seconds=wait),
        ended_at=arrived + timedelta(seconds=wait + 120),
        **fields,
    )


@pytest.fixture
def sales():
    """Sales (T = 20 s): each of its days one contact answered in 10 s and one in 30 s;
    Billing has contacts on another day. Everything is rolled up."""
    sales = QueueFactory(name="Sales", service_level_seconds=20, short_abandon_seconds=5)
    billing = QueueFactory(name="Billing")
    for day in SALES_DAYS:
        answered(sales, day, 10)
        answered(sales, day, 30, arrived_at=at(day, 10))
    answered(billing, BILLING_DAY, 10)
    rollup.roll_up_days([*SALES_DAYS, BILLING_DAY])
    return sales


def kpi(key, *, queue=None, start=SALES_DAYS[0], end=SALES_DAYS[-1]):
    request = SeriesRequest(start=start, end=end, queues=(queue.name,) if queue else ())
    [row] = kpi_series(None, request)
    return row["kpis"][key]


def snapshot():
    return {
        model.__name__: sorted(
            (tuple(sorted((k, v) for k, v in row.items() if k != "id")) for row in model.objects.values()),
            key=repr,
        )
        for model in (ContactInterval, ContactDay, AgentDay)
    }  # fmt: skip


def change_queue(client, queue, **values):
    data = {
        "name": queue.name,
        "channel": queue.channel,
        "service_level_seconds": queue.service_level_seconds,
        "short_abandon_seconds": queue.short_abandon_seconds,
        "required_skill": "",
        "active": "on",
        "_save": "Save",
        **values,
    }
    url = reverse("admin:interactions_queue_change", args=[queue.pk])
    return client.post(url, data, follow=True)


def test_changing_a_queue_threshold_in_the_admin_re_rolls_its_days(
    client, admin_user, sales, eager_celery, django_capture_on_commit_callbacks
):
    assert kpi("service_level", queue=sales) == 50
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as sent:
        response = change_queue(client, sales, service_level_seconds=40)
    job = RollupJob.objects.get()
    message = (
        f"Service level threshold changed: re-rolling the 3 days of Sales's numbers in the "
        f"background (job #{job.pk})."
    )
    assert message in [str(m) for m in response.context["messages"]]
    assert (job.reason, job.requested_by, job.status) == (
        "the service level threshold of Sales changed",
        admin_user,
        "queued",
    )
    # Sales's days only (not Billing's), newest first.
    assert job.days == ["2026-03-10", "2026-03-04", "2026-03-02"]
    assert kpi("service_level", queue=sales) == 50  # stale until the job runs
    assert len(sent) == 1
    sent[0]()  # the commit: the task is sent, and runs at once here

    job.refresh_from_db()
    assert (job.status, job.days_done, job.percent, job.error) == ("done", 3, 100, "")
    assert kpi("service_level", queue=sales) == 100


def test_both_thresholds_changed_say_so_and_queue_one_job(
    client, admin_user, sales, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks():
        response = change_queue(client, sales, service_level_seconds=40, short_abandon_seconds=3)
    assert "Service level and short-abandon thresholds changed: re-rolling the 3 days" in (
        response.content.decode()
    )
    assert RollupJob.objects.get().reason == (
        "the service level and short-abandon thresholds of Sales changed"
    )


def test_saving_a_queue_with_the_same_thresholds_re_rolls_nothing(
    client, admin_user, sales, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as sent:
        response = change_queue(client, sales, name="Sales team")
    assert response.status_code == 200
    # The save went through (a refused form would also re-roll nothing).
    sales.refresh_from_db()
    assert sales.name == "Sales team"
    assert not RollupJob.objects.exists()
    assert sent == []


def test_a_queue_without_past_numbers_has_nothing_to_re_roll(client, admin_user, sales):
    empty = QueueFactory(name="Empty")
    client.force_login(admin_user)
    response = change_queue(client, empty, service_level_seconds=99)
    assert "Service level threshold changed: Empty has no past numbers to re-roll." in (
        response.content.decode()
    )
    assert not RollupJob.objects.exists()


def fcr_fixture():
    """Customer c1 calls on 2 March and again 5 days later: inside a 7-day repeat window
    the first call is a repeat (FCR 50 %), inside a 3-day one it is resolved (100 %)."""
    queue = QueueFactory(name="Support")
    answered(queue, date(2026, 3, 2), 10, customer="c1")
    answered(queue, date(2026, 3, 7), 10, customer="c1")
    # Stored an hour ago: the minute's rollup after the first has nothing left to roll.
    Interaction.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    return queue


def test_fresh_database_records_the_settings_and_queues_nothing():
    assert tasks.roll_up_since_watermark() == 0
    state = RollupState.objects.get()
    assert (state.time_zone, state.repeat_window_days, state.state_cap_hours) == ("UTC", 7, 12)
    assert state.settings_recorded_at is not None
    assert not RollupJob.objects.exists()


def test_a_changed_repeat_window_re_rolls_every_day_once_and_fcr_follows(
    settings, eager_celery, django_capture_on_commit_callbacks
):
    fcr_fixture()
    tasks.roll_up_since_watermark()  # the first beat: rolls the contacts, records settings
    assert kpi("fcr", end=date(2026, 3, 7)) == 50
    assert not RollupJob.objects.exists()

    settings.KPI_REPEAT_WINDOW_DAYS = 3
    with django_capture_on_commit_callbacks() as sent:
        tasks.roll_up_since_watermark()
        tasks.roll_up_since_watermark()  # the next minute: still the one job
    job = RollupJob.objects.get()
    assert (job.kind, job.reason) == ("all", "KPI_REPEAT_WINDOW_DAYS changed from 7 to 3")
    # Every stored day, two either side (a new time zone moves days at the edges).
    assert (job.days[0], job.days[-1], job.days_total) == ("2026-03-09", "2026-02-28", 10)
    assert kpi("fcr", end=date(2026, 3, 7)) == 50  # stale until the job runs
    assert len(sent) == 1
    sent[0]()

    job.refresh_from_db()
    assert (job.status, job.days_done) == ("done", 10)
    assert kpi("fcr", end=date(2026, 3, 7)) == 100
    state = RollupState.objects.get()
    assert state.repeat_window_days == 3
    assert state.settings_recorded_at == job.started_at
    tasks.roll_up_since_watermark()
    assert RollupJob.objects.count() == 1  # recorded: nothing more to do


def test_a_changed_time_zone_moves_contacts_to_their_new_local_day(
    settings, django_capture_on_commit_callbacks
):
    queue = QueueFactory(name="Night")
    answered(queue, date(2026, 3, 2), 10, arrived_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    tasks.roll_up_since_watermark()
    assert list(ContactDay.objects.values_list("day", flat=True)) == [date(2026, 3, 2)]

    settings.TIME_ZONE = "Europe/Paris"  # 00:30 on 3 March there
    with django_capture_on_commit_callbacks():
        tasks.roll_up_since_watermark()
    job = RollupJob.objects.get()
    assert job.reason == "TIME_ZONE changed from UTC to Europe/Paris"
    assert rerolls.run_job(job.pk) == "done"
    assert list(ContactDay.objects.values_list("day", flat=True)) == [date(2026, 3, 3)]
    assert RollupState.objects.get().time_zone == "Europe/Paris"


def test_progress_counts_batch_by_batch_and_the_rest_goes_back_to_the_queue(
    sales, monkeypatch, client, manager, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(rerolls, "BATCH_DAYS", 2)
    with django_capture_on_commit_callbacks():
        job = rerolls.reroll_queue(sales, reason="the service level threshold of Sales changed")
    client.force_login(manager)
    page = client.get(reverse("kpi-help")).content.decode()
    assert (
        "Re-rolling 3 days after the service level threshold of Sales changed: 0 % "
        "(waiting for a worker)"
    ) in page

    # Out of time after the first batch: the job goes back to the queue, and is sent again.
    with django_capture_on_commit_callbacks() as sent:
        assert rerolls.run_job(job.pk, budget=timedelta(0)) == "queued"
    job.refresh_from_db()
    assert (job.status, job.days_done, job.days_total, job.percent) == ("queued", 2, 3, 66)
    assert len(sent) == 1
    page = client.get(reverse("kpi-help")).content.decode()
    assert "after the service level threshold of Sales changed: 66 %" in page

    assert rerolls.run_job(job.pk, budget=timedelta(0)) == "done"
    job.refresh_from_db()
    assert (job.status, job.days_done, job.percent) == ("done", 3, 100)
    assert "Re-rolling" not in client.get(reverse("kpi-help")).content.decode()


def test_a_failing_job_is_marked_failed_with_its_error_and_stops(
    sales, monkeypatch, client, manager, admin_user, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(rerolls, "BATCH_DAYS", 2)
    real = rollup.roll_up_days
    batches = []

    def roll_up_days(days):
        days = list(days)
        batches.append(days)
        if len(batches) == 2:
            raise RuntimeError("disk full")
        return real(days)

    monkeypatch.setattr(rollup, "roll_up_days", roll_up_days)
    with django_capture_on_commit_callbacks():
        job = rerolls.reroll_queue(sales, reason="the service level threshold of Sales changed")
    assert rerolls.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert (job.status, job.days_done) == ("failed", 2)
    assert job.error == "Failed rolling 2026-03-02 to 2026-03-02: RuntimeError: disk full"
    assert job.finished_at is not None
    assert rerolls.run_job(job.pk) is None  # a failed job stays failed
    assert len(batches) == 2

    client.force_login(manager)
    page = client.get(reverse("kpi-help")).content.decode()
    assert "after the service level threshold of Sales changed failed at 66 %" in page

    # "Run again" in the admin carries on from the last finished batch.
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as sent:
        response = client.post(
            reverse("admin:kpis_rollupjob_changelist"),
            {"action": "run_again", "_selected_action": [job.pk]},
            follow=True,
        )
    assert "1 failed job queued again." in response.content.decode()
    assert len(sent) == 1
    assert rerolls.run_job(job.pk) == "done"
    assert batches[-1] == [date(2026, 3, 2)]
    job.refresh_from_db()
    assert (job.status, job.error) == ("done", "")


def test_running_the_same_job_twice_gives_the_same_numbers(
    sales, django_capture_on_commit_callbacks
):
    sales.service_level_seconds = 40
    sales.save()
    with django_capture_on_commit_callbacks():
        first = rerolls.reroll_queue(sales)
        second = rerolls.reroll_queue(sales)
    assert rerolls.run_job(first.pk) == "done"
    once = snapshot()
    assert rerolls.run_job(first.pk) is None  # done: a redelivered task does nothing
    assert rerolls.run_job(second.pk) == "done"
    assert snapshot() == once
    assert kpi("service_level", queue=sales) == 100


def test_a_job_another_worker_runs_is_left_alone_until_it_goes_silent(
    sales, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        job = rerolls.reroll_queue(sales)
    RollupJob.objects.filter(pk=job.pk).update(status="running", worker="elsewhere")
    assert rerolls.run_job(job.pk) is None
    assert rerolls.resend_stalled_jobs() == []
    job.refresh_from_db()
    assert (job.status, job.days_done) == ("running", 0)

    # Silent for too long (a worker gone): the beat hands it to the next worker.
    RollupJob.objects.filter(pk=job.pk).update(
        heartbeat_at=job.heartbeat_at - rerolls.STALE_AFTER - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks() as sent:
        assert rerolls.resend_stalled_jobs() == [job.pk]
    assert len(sent) == 1
    assert rerolls.run_job(job.pk) == "done"


def test_one_full_re_roll_at_a_time(sales, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as sent:
        first = rerolls.reroll_all("a test")
        assert rerolls.reroll_all("another test") == first
    assert len(sent) == 1
    assert RollupJob.objects.count() == 1


def test_rollup_kpis_all_records_the_settings_and_covers_failed_jobs(
    settings, sales, client, manager, django_capture_on_commit_callbacks
):
    tasks.roll_up_since_watermark()
    with django_capture_on_commit_callbacks():
        job = rerolls.reroll_queue(sales, reason="the service level threshold of Sales changed")
    RollupJob.objects.filter(pk=job.pk).update(status="failed", error="gone")
    client.force_login(manager)
    assert "failed at 0 %" in client.get(reverse("kpi-help")).content.decode()

    settings.KPI_STATE_CAP_HOURS = 8
    call_command("rollup_kpis", "--all", stdout=io.StringIO(), stderr=io.StringIO())
    assert RollupState.objects.get().state_cap_hours == 8
    assert "Re-rolling" not in client.get(reverse("kpi-help")).content.decode()
    with django_capture_on_commit_callbacks():
        tasks.roll_up_since_watermark()
    assert RollupJob.objects.count() == 1  # the settings are recorded: no full re-roll


def test_the_admin_lists_jobs_with_their_progress(
    client, admin_user, sales, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        job = rerolls.reroll_queue(sales, reason="the service level threshold of Sales changed")
    RollupJob.objects.filter(pk=job.pk).update(status="running", days_done=1)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:kpis_rollupjob_changelist")).content.decode()
    assert "33 % (1 of 3 days)" in listing
    page = client.get(reverse("admin:kpis_rollupjob_change", args=[job.pk]))
    assert page.status_code == 200
    assert "2026-03-10" in page.content.decode()  # the newest day
    assert client.get(reverse("admin:kpis_rollupjob_add")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_job_run_it_once(monkeypatch):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race is a PostgreSQL question")
    queue = QueueFactory(name="Sales")
    for day in SALES_DAYS:
        answered(queue, day, 10)
    rollup.roll_up_days(SALES_DAYS)
    monkeypatch.setattr(rerolls, "send", lambda job_id: None)  # the two workers get it
    job = rerolls.reroll_queue(queue)
    barrier, results, failures = threading.Barrier(2), [], []

    def work():
        try:
            barrier.wait()
            results.append(rerolls.run_job(job.pk))
        except Exception as error:  # noqa: BLE001 (reported below)
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(results, key=str) == [None, "done"]
    job.refresh_from_db()
    assert (job.status, job.days_done) == ("done", 3)
