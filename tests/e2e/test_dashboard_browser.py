"""The dashboards as people use them, in Chromium, on demo data.

With SAVE_SCREENSHOTS=1 (`make screenshots`) the run refreshes the README's pictures.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agents.models import Agent, Team
from demo import generator as demo
from kpis import rollup

pytestmark = pytest.mark.django_db(transaction=True)
# `make screenshots` refreshes the README's pictures; other runs keep them in a temp dir.
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def shots(tmp_path):
    return DOCS_SHOTS if os.environ.get("SAVE_SCREENSHOTS") else tmp_path


@pytest.fixture
def demo_center():
    end = timezone.localdate() - timedelta(days=1)
    demo.seed_demo(days=7, agent_count=16, seed=3, end=end)
    rollup.roll_up_days(end - timedelta(days=n) for n in range(8))
    return end


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_manager_reads_filters_drills_down_and_exports(live_server, page, demo_center, shots):
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "manager")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Overview")
    offered = page.locator('[data-kpi="offered"] .tile-value')
    expect(offered).not_to_have_text("0")
    week = offered.inner_text()
    expect(page.locator("#trend-offered .main-svg").first).to_be_visible()
    page.screenshot(path=str(shots / "overview.png"), full_page=False)

    page.get_by_role("link", name="Yesterday").click()
    expect(page.locator(".chip.active")).to_have_text("Yesterday")
    expect(offered).not_to_have_text(week)  # one day is fewer than seven

    page.select_option("select[name=channel]", "chat")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"channel=chat"))
    chat = offered.inner_text()
    assert int(chat.replace(",", "")) < int(week.replace(",", ""))

    # The tile and the list behind it agree to the contact.
    abandoned = page.locator('[data-kpi="abandoned"] .tile-value').inner_text()
    page.locator('[data-kpi="abandoned"] .tile-main').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    expect(page.locator(".page-head")).to_contain_text("Abandoned")
    expect(page.locator("#contact-count")).to_have_text(abandoned)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "contacts.csv"


def test_supervisor_sees_their_team_and_agent_only_their_page(
    live_server, page, demo_center, shots
):
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "supervisor")
    expect(page.locator(".page-head")).to_contain_text("Your teams only")
    expect(page.locator("#by-team tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Care North").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Care North")
    page.screenshot(path=str(shots / "team.png"), full_page=False)
    other = Team.objects.get(name="Sales")
    response = page.goto(f"{live_server.url}/teams/{other.pk}/")
    assert response.status == 404

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, "agent")
    page.get_by_role("link", name="My numbers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Noa Cohen")
    expect(page.locator("#trend-handled .main-svg").first).to_be_visible()
    page.screenshot(path=str(shots / "agent.png"), full_page=False)
    someone_else = Agent.objects.exclude(user__username="agent").first()
    assert page.goto(f"{live_server.url}/agents/{someone_else.pk}/").status == 404
