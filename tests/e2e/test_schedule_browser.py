"""The demo supervisor plans next week and edits the roster, in Chromium, on demo data."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from agents.models import Agent, Skill
from scheduling.models import Shift
from scheduling.services import local
from tests.e2e.test_dashboard_browser import demo_center, log_in, shots  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_supervisor_moves_a_shift_adds_one_and_gives_a_skill(live_server, page, demo_center, shots):  # noqa: F811
    Skill.objects.create(name="spanish")
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server, "supervisor")
    page.get_by_role("link", name="Care North").first.click()
    page.locator(".tabs").get_by_role("link", name="Schedule", exact=True).click()
    page.get_by_role("link", name="Next week →").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("week of")

    # Move the first shift of next week one hour later, in the edit dialog.
    first = page.locator("a.shift").first
    shift = Shift.objects.get(pk=first.get_attribute("data-shift"))
    start = local(shift.start)
    first.click()
    dialog = page.locator("#edit-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", level=2)).to_contain_text(str(shift.agent))
    page.screenshot(path=str(shots / "schedule-edit.png"))
    later = (start + timedelta(hours=1)).strftime("%H:%M")
    dialog.get_by_label("New start").fill(later)
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator(".message.success")).to_contain_text("moved to")
    expect(page.locator(f'a.shift[data-shift="{shift.pk}"] .shift-label')).to_contain_text(later)
    shift.refresh_from_db()
    assert local(shift.start) == start + timedelta(hours=1)
    assert shift.history.latest().history_user.username == "supervisor"

    # Add a shift in an empty day of someone on the team.
    empty = page.locator("td.day-cell:not(:has(a.shift)) button.add-shift").first
    agent_id, day = empty.get_attribute("data-agent"), empty.get_attribute("data-day")
    empty.click()
    form = page.locator("#new-dialog")
    form.get_by_label("Start").fill("10:00")
    form.get_by_label("End").fill("14:00")
    form.get_by_label("Activities").fill("break 12:00-12:15")
    form.get_by_role("button", name="Add shift").click()
    expect(page.locator(".message.success")).to_contain_text("Shift added")
    added = Shift.objects.get(agent_id=agent_id, start__date=day)
    assert [a.kind for a in added.activities.all()] == ["work", "break", "work"]
    page.screenshot(path=str(shots / "schedule.png"), full_page=False)

    # Give the moved shift's agent a skill, and find it on their history tab.
    page.locator(".tabs").get_by_role("link", name="Roster").click()
    row = page.locator("#roster tbody tr", has_text=str(shift.agent))
    row.get_by_role("link", name="edit").click()
    page.get_by_label("Skill").select_option(label="spanish")
    page.get_by_label("Proficiency").select_option("4")
    page.get_by_role("button", name="Save skill").click()
    expect(page.locator("#skills")).to_contain_text("spanish")
    agent = Agent.objects.get(pk=shift.agent_id)
    assert agent.agent_skills.get(skill__name="spanish").proficiency == 4
    page.locator(".tabs").get_by_role("link", name="History").click()
    expect(page.locator("#history")).to_contain_text("Skill spanish")
    expect(page.locator("#history tbody tr").first).to_contain_text("Sam Supervisor")
    expect(page.locator("#history")).to_contain_text(re.compile(r"Shift .* changed"))

    # Adherence shows on the team page and the real-time view.
    page.get_by_role("link", name="Care North").first.click()
    expect(page.locator("#comparison")).to_contain_text("Schedule adherence")
    page.get_by_role("link", name="Adherence now").click()
    expect(page.locator("#adherence tbody tr")).to_have_count(
        Agent.objects.filter(team__name="Care North", active=True).count()
    )
