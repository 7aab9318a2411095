"""The leaderboard as a manager reads it, in Chromium, on demo data."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_dashboard_browser import demo_center, log_in, shots  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_ranks_agents_and_teams_by_a_kpi(live_server, page, demo_center, shots):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboard").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Average handle time")
    expect(page.locator("#agent-board tbody tr").first.locator("td").first).to_have_text("1")
    expect(page.locator("#team-board tbody tr")).not_to_have_count(0)
    expect(page.locator("#rules")).to_contain_text("1, 2, 2, 4")

    page.select_option("select[name=kpi]", "csat")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"kpi=csat"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customer satisfaction")
    page.screenshot(path=str(shots / "leaderboard.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#team-board").locator("xpath=..").get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.startswith("leaderboard-teams-csat-")
