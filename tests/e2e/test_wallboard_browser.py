"""The wallboard moves by itself: a contact posted through the API shows without a reload."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from tests.factories import QueueFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_wallboard_shows_a_new_waiting_contact_without_reload(live_server, page, manager):
    QueueFactory(name="Billing")
    page.goto(f"{live_server.url}/login/?next=/wallboard/?tv=1")
    page.get_by_label("User name").fill("manager")
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Log in").click()
    waiting = page.locator('tr[data-queue="Billing"] [data-field="waiting"]')
    expect(waiting).to_have_text("0")
    page.evaluate("window.notReloaded = true")

    client = APIClient()
    client.force_authenticate(manager)
    response = client.post("/api/v1/contacts/", {"external_id": "live", "channel": "voice", "queue": "Billing",
                                                 "arrived_at": timezone.now().isoformat()}, format="json")  # fmt: skip
    assert response.status_code == 200
    expect(waiting).to_have_text("1", timeout=15_000)
    expect(page.locator('[data-live="offered"]')).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
