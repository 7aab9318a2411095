"""A person opens contactcenter in a real browser (Debian's Chromium via Playwright)."""

import re

import pytest
from playwright.sync_api import expect

from demo import generator as demo

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_manager_logs_in_and_sees_the_home_page(live_server, page):
    demo.seed_demo(days=2, agent_count=8, seed=1)

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("User name").fill("manager")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Overview")
    expect(page.locator('[data-kpi="offered"]')).to_be_visible()
    expect(page.locator(".role-badge")).to_have_text("Manager")
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def test_wrong_password_shows_an_error_in_the_browser(live_server, page, manager):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("User name").fill("manager")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
