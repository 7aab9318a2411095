"""Shared fixtures: a few named users and teams, fast hashing, a real browser."""

import os
import shutil

import pytest
from django.conf import settings

from tests.factories import AgentFactory, TeamFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to
# run inside one unless told that these tests know what they do.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Hashing at production strength costs ~0.3 s per login; tests log in a lot.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role="Manager")


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Team A")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Team B")


@pytest.fixture
def supervisor_a(team_a):
    user = UserFactory(username="sup-a", role="Supervisor")
    team_a.supervisors.add(user)
    return user


@pytest.fixture
def supervisor_b(team_b):
    user = UserFactory(username="sup-b", role="Supervisor")
    team_b.supervisors.add(user)
    return user


@pytest.fixture
def agent_a(team_a):
    """An agent on team A who logs in as `agent-a`."""
    user = UserFactory(username="agent-a", role="Agent")
    return AgentFactory(login="A-1", display_name="Ana A", team=team_a, user=user)


@pytest.fixture
def agent_b(team_b):
    user = UserFactory(username="agent-b", role="Agent")
    return AgentFactory(login="B-1", display_name="Ben B", team=team_b, user=user)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, with the flags this closed network needs."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Browser tests need Chromium at {CHROMIUM}; .ci/run installs it.")
        pytest.skip(f"No Chromium at {CHROMIUM}: `apt-get install chromium` to run browser tests.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files go to the test's own folder, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session", autouse=True)
def _celery_test_queue():
    """Tasks sent by tests go to a queue of this test process only: a `make run` worker
    or a parallel test process (with its own database) never picks them up."""
    from contactcenter.celery import app

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    app.conf.task_default_queue = f"contactcenter-test-{worker}"
