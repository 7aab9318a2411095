"""Failed logins are throttled per user name and per address, and the API by DRF's
throttles (issue 15, item 9)."""

import pytest
from django.core.cache import caches
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import auth
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password"  # noqa: S105


@pytest.fixture(autouse=True)
def clean_counts():
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


@pytest.fixture
def manager_pw(manager):
    manager.set_password(PASSWORD)
    manager.save()
    return manager


def login(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, manager_pw):
    for attempt in range(30):
        response = login(client, "manager", f"wrong-{attempt}")
        assert "_auth_user_id" not in client.session
    assert response.status_code == 429
    response = login(client, "manager", PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert "Too many failed attempts: try again in 15 minutes." in response.content.decode()


def test_the_fifth_failure_locks_and_says_so(client, manager_pw):
    for attempt in range(4):
        response = login(client, "manager", f"wrong-{attempt}")
        assert response.status_code == 200
        assert "do not match" in response.content.decode()
    response = login(client, "manager", "wrong-5")
    assert response.status_code == 429 and "Too many failed attempts" in response.content.decode()


def test_another_user_is_unaffected(client, manager_pw):
    other = UserFactory(username="supervisor")
    other.set_password(PASSWORD)
    other.save()
    for attempt in range(10):
        login(client, "manager", f"wrong-{attempt}")
    response = login(client, "supervisor", PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(other.pk)


def test_the_user_name_is_throttled_whatever_its_case_or_address(client, manager_pw):
    for attempt in range(5):
        login(client, "Manager", f"wrong-{attempt}", address=f"10.0.1.{attempt}")
    assert login(client, "manager", PASSWORD, address="10.9.9.9").status_code == 429


def test_after_the_lockout_the_right_password_works(client, manager_pw, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(auth, "now", lambda: clock[0])
    for attempt in range(30):
        login(client, "manager", f"wrong-{attempt}")
    assert login(client, "manager", PASSWORD).status_code == 429
    clock[0] += 15 * 60 - 30
    assert "try again in 1 minute." in login(client, "manager", PASSWORD).content.decode()
    clock[0] += 31
    assert login(client, "manager", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_user_count(client, manager_pw):
    for _round in range(3):
        for attempt in range(4):
            login(client, "manager", f"wrong-{attempt}")
        assert login(client, "manager", PASSWORD).status_code == 302
        client.logout()


def test_one_address_is_throttled_across_user_names(client, manager_pw, settings):
    settings.LOGIN_THROTTLE_ADDRESS_FAILURES = 20
    for attempt in range(20):
        login(client, f"nobody-{attempt}", "x", address="10.6.6.6")
    assert login(client, "manager", PASSWORD, address="10.6.6.6").status_code == 429
    assert login(client, "manager", PASSWORD, address="10.7.7.7").status_code == 302


def test_successful_logins_never_count(client, manager_pw):
    for _attempt in range(40):
        assert login(client, "manager", PASSWORD).status_code == 302
        client.logout()


def test_the_admin_login_obeys_the_same_rule(client, manager_pw):
    for attempt in range(5):
        login(client, "manager", f"wrong-{attempt}")
    manager_pw.is_staff = True
    manager_pw.save()
    response = client.post(
        "/admin/login/", {"username": "manager", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert "_auth_user_id" not in client.session and response.status_code == 200


def test_the_api_answers_429_over_the_rate(manager, settings):
    rates = {"anon": "2/min", "user": "3/min", "ingest": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    answers = [client.get("/api/v1/queues/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    writes = [client.post("/api/v1/contacts/", [], format="json").status_code for _ in range(3)]
    # The first two writes reach the view (an empty batch is refused as such), the third is throttled.
    assert writes == [400, 400, 429]
    # another user has their own count
    other = APIClient()
    other.force_authenticate(UserFactory(username="other", role="Manager"))
    assert other.get("/api/v1/queues/").status_code == 200
