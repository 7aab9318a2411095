"""The Celery schedule keeps KPIs current: nobody calls a rollup by hand."""

import time

import pytest
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from contactcenter.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_and_beat(tmp_path):
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip(
            "runs against PostgreSQL and Redis (CI's first run), where a worker "
            "thread and beat can share the test database"
        )
    schedule = dict(app.conf.beat_schedule)
    app.conf.beat_schedule = {
        "roll-up-changed-kpis": {"task": "kpis.tasks.roll_up_since_watermark", "schedule": 1.0}
    }
    beat = EmbeddedService(app, thread=True, schedule_filename=str(tmp_path / "beat"),
                           scheduler_cls="celery.beat:PersistentScheduler")  # fmt: skip
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        beat.start()
        try:
            yield
        finally:
            beat.stop()
            app.conf.beat_schedule = schedule


def test_a_posted_contact_shows_in_the_kpis_within_two_beat_cycles(admin_user, worker_and_beat):
    client = APIClient()
    client.force_authenticate(admin_user)
    now = timezone.now()
    response = client.post(
        "/api/v1/contacts/",
        {"external_id": "live-1", "channel": "voice", "queue": "Billing",
         "arrived_at": now.isoformat(), "answered_at": now.isoformat()},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    deadline, offered = time.monotonic() + 30, 0
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/kpis/?start={today}&end={today}&kpis=offered,answered").json()
        offered = body["results"][0]["kpis"]["offered"]
        if offered:
            break
        time.sleep(0.5)
    assert offered == 1
    assert body["results"][0]["kpis"]["answered"] == 1
