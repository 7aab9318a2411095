"""The manager opens the Forecast page in Chromium: history, the forecast and its 80 %
band are drawn, the week's table is there, and "Forecast now" leads to the run's page.

The forecast is stored directly (ForecastDay, Forecast, BacktestScore rows), so the
browser test does not depend on the engine."""

import math
import tempfile
from datetime import UTC, time, timedelta
from pathlib import Path
from unittest import mock

import pytest
from playwright.sync_api import expect

from core.jobs import JobStatus
from core.localtime import at_local, local_today, monday_of
from forecasting.models import (
    BacktestScore,
    Forecast,
    ForecastDay,
    ForecastRun,
    QueueForecastSetting,
    SpecialDay,
    Trigger,
)
from kpis.models import ContactDay, ContactInterval
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The pictures to look at: /tmp/forecast.png and /tmp/forecast-run.png.
SHOTS = Path(tempfile.gettempdir())
WEEKDAY_VOLUME = [520, 480, 460, 450, 430, 210, 120]


def _profile(slot: int) -> float:
    """A day's share per 15-minute slot: open 08:00-20:00, a morning and an afternoon peak."""
    if not 32 <= slot < 80:
        return 0.0
    hour = slot / 4
    return math.exp(-((hour - 10.5) ** 2) / 3) + 0.8 * math.exp(-((hour - 15) ** 2) / 4) + 0.1


PROFILE = [_profile(slot) for slot in range(96)]
TOTAL = sum(PROFILE)


def _day_volume(day, wobble=0.0):
    return WEEKDAY_VOLUME[day.weekday()] * (1 + wobble)


@pytest.fixture
def forecast_center():
    today = local_today()
    team = TeamFactory(name="Care")
    queue = QueueFactory(name="Care voice")
    team.queues.add(queue)
    UserFactory(username="boss", role="Manager", first_name="Mia", last_name="Boss")
    run = ForecastRun.objects.create(trigger=Trigger.SCHEDULE, start=today - timedelta(days=13),
                                     weeks=6, status=JobStatus.DONE,
                                     queues_done=1, queues_total=1,
                                     summary=[{"queue": queue.name, "method": "holt_winters",
                                               "history_days": 180, "note": ""}])  # fmt: skip
    # Eight weeks of history, and the past two weeks' forecasts with their actuals.
    for back in range(56, 0, -1):
        day = today - timedelta(days=back)
        actual = _day_volume(day, 0.06 * math.sin(back))
        ContactDay.objects.create(day=day, queue=queue, team=team, channel="voice",
                                  offered=round(actual))  # fmt: skip
        if back <= 13:
            expected = _day_volume(day)
            ForecastDay.objects.create(queue=queue, day=day, contacts=expected,
                                       lower=expected * 0.9, upper=expected * 1.1,
                                       aht_seconds=245, method="holt_winters", run=run)  # fmt: skip
            for slot in range(32, 80, 4):
                start = at_local(day, time(slot // 4)).astimezone(UTC)
                share = PROFILE[slot] / TOTAL
                Forecast.objects.create(queue=queue, start=start, contacts=expected * share,
                                        aht_seconds=245, method="holt_winters", run=run)  # fmt: skip
                ContactInterval.objects.create(interval_start=start, queue=queue, team=team,
                                               channel="voice",
                                               offered=round(actual * share))  # fmt: skip
    # Six weeks ahead: every 15 minutes, the days and their band.
    rows = []
    for ahead in range(42):
        day = today + timedelta(days=ahead)
        expected = _day_volume(day) * 1.02
        spread = 0.08 + 0.004 * ahead
        ForecastDay.objects.create(queue=queue, day=day, contacts=expected,
                                   lower=expected * (1 - spread), upper=expected * (1 + spread),
                                   aht_seconds=240 + 10 * (day.weekday() == 0),
                                   method="holt_winters", run=run)  # fmt: skip
        for slot in range(96):
            contacts = expected * PROFILE[slot] / TOTAL
            rows.append(Forecast(queue=queue, start=at_local(day, time(slot // 4, 15 * (slot % 4))),
                                 contacts=contacts, aht_seconds=240 if contacts else None,
                                 method="holt_winters", run=run))  # fmt: skip
    Forecast.objects.bulk_create(rows)
    next_monday = monday_of(today) + timedelta(days=7)
    SpecialDay.objects.create(date=next_monday + timedelta(days=3), kind="unusual",
                              reason="Price change letters arrive")  # fmt: skip
    older = ForecastRun.objects.create(trigger=Trigger.SCHEDULE, start=today - timedelta(days=14),
                                       weeks=6, status=JobStatus.DONE)  # fmt: skip
    ForecastRun.objects.filter(pk=older.pk).update(created_at=run.created_at - timedelta(days=1))
    for scored, factor in ((older, 1.1), (run, 1.0)):
        for method, wape in (("seasonal_naive", 0.21), ("weighted_average", 0.16),
                             ("holt_winters", 0.12)):  # fmt: skip
            for grain, scale in (("interval", 1.0), ("day", 0.45)):
                BacktestScore.objects.create(run=scored, queue=queue, method=method, grain=grain,
                                             wape=wape * scale * factor, bias=0.01, origins=4,
                                             actual=12000,
                                             chosen=method == "holt_winters")  # fmt: skip
    QueueForecastSetting.objects.create(queue=queue, chosen_method="holt_winters")
    return queue


def test_manager_sees_history_forecast_and_band(live_server, page, forecast_center):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("User name").fill("boss")
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Forecast").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Care voice")

    daily = page.locator("#trend-forecast-daily")
    expect(daily.locator(".main-svg").first).to_be_visible()
    names = page.evaluate(
        "() => document.getElementById('trend-forecast-daily').data.map(t => t.name)"
    )
    assert {"Actual offered", "Forecast", "80 % interval", "Special day"} <= set(names)
    band = page.evaluate(
        "() => document.getElementById('trend-forecast-daily').data"
        ".find(t => t.name === '80 % interval')"
    )
    assert band["fill"] == "tonexty" and len(band["y"]) == 55  # 13 past days + 42 ahead
    actual = page.evaluate(
        "() => document.getElementById('trend-forecast-daily').data"
        ".find(t => t.name === 'Actual offered').y.length"
    )
    assert actual == 56
    expect(page.locator("#trend-forecast-intraday .main-svg").first).to_be_visible()
    # days, week, backtests, accuracy against actual, WAPE by week
    assert page.locator(".js-plotly-plot").count() == 5
    expect(page.locator("#week-table tfoot")).to_contain_text("Total")
    expect(page.locator(".method-why")).to_contain_text("chosen")
    expect(page.locator("#accuracy-table")).to_contain_text("All 13 days")
    page.screenshot(path=str(SHOTS / "forecast.png"), full_page=True)

    with mock.patch("forecasting.tasks.run_forecast.delay"):
        page.get_by_role("button", name="Forecast now").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Forecast run")
    expect(page.locator("#import-state")).to_have_text("Queued")
    page.screenshot(path=str(SHOTS / "forecast-run.png"), full_page=True)
