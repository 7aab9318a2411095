"""A manager uploads a file in the browser; a real Celery worker imports it while the page
shows progress, then the result and the rejected lines."""

import re

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from playwright.sync_api import expect

from contactcenter.celery import app
from interactions.models import ImportJob, Interaction

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 3000


@pytest.fixture
def celery_worker():
    if connection.vendor == "sqlite":
        pytest.skip(
            "the test database is in-memory SQLite, which a worker thread cannot share; "
            "CI runs this test on PostgreSQL"
        )
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


def test_upload_is_imported_by_a_real_worker_with_progress(
    live_server, page, manager, tmp_path, celery_worker
):
    path = tmp_path / "week.csv"
    lines = ["external_id,channel,queue,arrived_at,ended_at"]
    lines += [f"w{n},voice,Billing,2026-03-02T09:00:00Z,2026-03-02T09:01:00Z" for n in range(ROWS)]
    lines.append("bad,voice,Billing,2026-03-02T09:00:00Z,2026-03-02T08:00:00Z")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    page.goto(f"{live_server.url}/login/?next=/imports/")
    page.get_by_label("User name").fill("manager")
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Import contacts")).to_be_visible()

    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="Upload and import").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.locator("#import-state")).to_have_text("Done", timeout=60_000)
    expect(page.locator('[data-summary="created"]')).to_have_text(f"{ROWS:,}")
    expect(page.locator("#rejected-lines")).to_contain_text("Ended before it arrived.")
    assert Interaction.objects.count() == ROWS
    assert ImportJob.objects.get().status == "done"
