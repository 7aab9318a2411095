"""The manager opens the staffing pages in Chromium: the coverage of a week with a stored
forecast and shifts draws its heatmap and its line chart; the what-if answers a changed
AHT without reloading the page (the numbers change, the page stays the same document).

The forecast and the shifts are stored directly (Forecast, Shift, ShiftActivity rows),
so the test does not depend on the forecasting engine."""

import math
import tempfile
from datetime import UTC, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from agents.models import AgentSkill
from core.localtime import at_local, local_today, monday_of
from forecasting.models import Forecast
from scheduling.models import Shift, ShiftActivity
from staffing.models import QueueStaffing
from tests.factories import AgentFactory, QueueFactory, SkillFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The pictures to look at: /tmp/staffing-coverage.png and /tmp/staffing-whatif.png.
SHOTS = Path(tempfile.gettempdir())


def _profile(slot: int) -> float:
    """Contacts per 15 minutes: open 08:00-18:00, a morning and an afternoon peak."""
    if not 32 <= slot < 72:
        return 0.0
    hour = slot / 4
    return 30 * math.exp(-((hour - 10.5) ** 2) / 3) + 22 * math.exp(-((hour - 15) ** 2) / 4) + 4


@pytest.fixture
def staffed_week():
    week = monday_of(local_today()) + timedelta(days=7)
    team = TeamFactory(name="Care")
    skill = SkillFactory(name="care")
    queue = QueueFactory(name="Care voice", channel="voice", required_skill=skill)
    team.queues.add(queue)
    QueueStaffing.objects.create(queue=queue, patience_seconds=150)
    UserFactory(username="boss", role="Manager", first_name="Mia", last_name="Boss")
    rows = []
    for n in range(7):
        day = week + timedelta(days=n)
        scale = 1.0 if n < 5 else 0.4
        for slot in range(96):
            contacts = scale * _profile(slot)
            rows.append(Forecast(queue=queue, start=at_local(day, time(slot // 4, 15 * (slot % 4))).astimezone(UTC),
                                 contacts=contacts, aht_seconds=240.0 if contacts else None,
                                 method="holt_winters"))  # fmt: skip
    Forecast.objects.bulk_create(rows)
    # Twelve agents: six early (08:00-16:30), six late (10:00-18:30), weekdays, each
    # with a lunch; the afternoon is short.
    for k in range(12):
        agent = AgentFactory(login=f"care-{k}", team=team)
        AgentSkill.objects.create(agent=agent, skill=skill)
        begin = time(8) if k < 6 else time(10)
        for n in range(5):
            day = week + timedelta(days=n)
            start = at_local(day, begin)
            shift = Shift.objects.create(agent=agent, team=team, start=start,
                                         end=start + timedelta(hours=8, minutes=30))  # fmt: skip
            lunch = start + timedelta(hours=4)
            ShiftActivity.objects.create(shift=shift, kind="lunch", start=lunch,
                                         end=lunch + timedelta(minutes=30))  # fmt: skip
    return week


def _log_in(page, live_server):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("User name").fill("boss")
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Log in").click()


def test_manager_sees_the_weeks_coverage(live_server, page, staffed_week):
    _log_in(page, live_server)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staffing").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Care")
    expect(page.locator("#trend-coverage-heatmap .main-svg").first).to_be_visible()
    expect(page.locator("#trend-coverage-line .main-svg").first).to_be_visible()
    heatmap = page.evaluate("() => document.getElementById('trend-coverage-heatmap').data[0]")
    assert heatmap["type"] == "heatmap" and len(heatmap["y"]) == 7
    assert any(value is not None and value < 0 for row in heatmap["z"] for value in row)
    names = page.evaluate(
        "() => document.getElementById('trend-coverage-line').data.map(t => t.name)"
    )
    assert {"Required (Erlang C)", "Required (Erlang A)", "Scheduled (productive)"} <= set(names)
    expect(page.locator("#coverage-totals [data-total=short] .tile-value")).not_to_have_text(
        "0.0 h"
    )
    expect(page.locator("#interval-table tfoot")).to_contain_text("Agent-hours")
    page.screenshot(path=str(SHOTS / "staffing-coverage.png"), full_page=True)


def test_the_what_if_answers_a_changed_aht_without_a_reload(live_server, page, staffed_week):
    _log_in(page, live_server)
    page.goto(
        f"{live_server.url}/staffing/what-if/?queue=Care+voice&date={staffed_week}&time=10:30"
    )
    agents_c = page.locator("#whatif-results tr[data-result=agents] td[data-model=erlang_c]")
    agents_a = page.locator("#whatif-results tr[data-result=agents] td[data-model=erlang_a]")
    expect(agents_c).not_to_have_text("—")
    expect(page.locator("#whatif-curve .main-svg").first).to_be_visible()
    before_c, before_a = agents_c.inner_text(), agents_a.inner_text()
    page.evaluate("() => { window.sameDocument = true; }")

    page.get_by_label("Average handle time").fill("480")
    expect(agents_c).not_to_have_text(before_c)
    expect(agents_a).not_to_have_text(before_a)
    assert int(agents_c.inner_text()) > int(before_c)
    assert page.evaluate("() => window.sameDocument") is True  # no reload happened
    page.screenshot(path=str(SHOTS / "staffing-whatif.png"), full_page=True)

    # A bad value gets the API's message beside its field, and nothing reloads.
    page.get_by_label("Average handle time").fill("-5")
    expect(page.locator('[data-error-for="aht_seconds"]')).not_to_be_empty()
    assert page.evaluate("() => window.sameDocument") is True
