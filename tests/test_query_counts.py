"""Every page's exact query count, pinned (issue 14): a page that starts reading per row,
or a read plan that grows, shows up here as a changed number, not as a slow page later.

The counts hold for the small center below; pages read rollups and a bounded number of
small tables, so they do not grow with the rows (tests elsewhere check that)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.models import AgentStateEvent
from core.jobs import JobStatus
from forecasting.models import (
    BacktestScore,
    Forecast,
    ForecastDay,
    ForecastRun,
    QueueForecastSetting,
    Trigger,
)
from interactions.models import ImportJob
from kpis.models import Alert, AlertRule, Target
from scheduling.models import Shift, ShiftActivity
from tests.factories import CostEntryFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PERIOD = "?period=custom&start=2026-03-01&end=2026-03-03"


@pytest.fixture
def center(team_a, team_b, agent_a, agent_b):
    from kpis.rollup import roll_up_days

    billing, sales = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    team_a.queues.add(billing)
    team_b.queues.add(sales)
    for agent, queue in ((agent_a, billing), (agent_b, sales)):
        for minute in range(0, 60, 10):
            at = T0 + timedelta(minutes=minute)
            InteractionFactory(queue=queue, agent=agent, team=agent.team, arrived_at=at,
                               answered_at=at + timedelta(seconds=12), customer=f"c{minute}",
                               ended_at=at + timedelta(seconds=200), csat=4)  # fmt: skip
        AgentStateEvent.objects.create(agent=agent, state="available", at=T0)
        shift = Shift.objects.create(agent=agent, team=agent.team, start=T0,
                                     end=T0 + timedelta(hours=8))  # fmt: skip
        ShiftActivity.objects.create(shift=shift, kind="work", start=shift.start, end=shift.end)
    InteractionFactory(queue=billing, arrived_at=T0, answered_at=None,
                       ended_at=T0 + timedelta(seconds=50))  # fmt: skip
    CostEntryFactory(amount=500, start_date=DAY, end_date=DAY)
    Target.objects.create(kpi="service_level", value=80, valid_from=DAY)
    rule = AlertRule.objects.create(name="Waiting", kind="waiting_above", threshold=1)
    Alert.objects.create(rule=rule, subject="Billing", queue=billing, message="3 waiting",
                         opened_at=T0)  # fmt: skip
    roll_up_days([DAY])
    contact = InteractionFactory(queue=billing, agent=agent_a, team=team_a, arrived_at=T0)
    job = ImportJob.objects.create(original_name="a.csv", file="imports/a.csv")
    run = _forecast(billing)
    return {"shift": shift, "contact": contact, "job": job, "run": run}


def _forecast(queue):
    """A stored forecast of the queue (intervals, days, backtest, setting) and its run."""
    run = ForecastRun.objects.create(trigger=Trigger.BUTTON, start=DAY, weeks=1,
                                     status=JobStatus.DONE, summary=[{"queue": queue.name,
                                                                      "method": "holt_winters",
                                                                      "note": ""}])  # fmt: skip
    for n in range(7):
        start = T0 + timedelta(days=n)
        Forecast.objects.create(queue=queue, start=start, contacts=5, aht_seconds=200,
                                method="holt_winters", run=run)  # fmt: skip
        ForecastDay.objects.create(queue=queue, day=DAY + timedelta(days=n), contacts=5, lower=3,
                                   upper=8, method="holt_winters", run=run)  # fmt: skip
    for grain in ("interval", "day"):
        BacktestScore.objects.create(run=run, queue=queue, method="holt_winters", grain=grain,
                                     wape=0.1, bias=0.01, origins=4, actual=100, chosen=True)  # fmt: skip
    QueueForecastSetting.objects.create(queue=queue, chosen_method="holt_winters")
    return run


def _pages(team_a, agent_a, center):
    return {
        "overview": reverse("overview") + PERIOD,
        "overview-today": reverse("overview") + "?period=today",
        "team": reverse("team-detail", args=[team_a.pk]) + PERIOD,
        "agent": reverse("agent-detail", args=[agent_a.pk]) + PERIOD,
        "targets": reverse("targets") + PERIOD,
        "leaderboard": reverse("leaderboard") + PERIOD,
        "wallboard": reverse("wallboard"),
        "alerts": reverse("alerts"),
        "adherence": reverse("team-adherence", args=[team_a.pk]),
        "kpi-help": reverse("kpi-help-detail", args=["service_level"]),
        "explain-occupancy": reverse("kpi-explain", args=["occupancy"]) + PERIOD,
        "explain-cost": reverse("kpi-explain", args=["cost_per_contact"]) + PERIOD,
        "contacts": reverse("contact-list") + PERIOD + "&outcome=fcr_eligible&counted=fcr_resolved",
        "contact": reverse("contact-detail", args=[center["contact"].pk]),
        "teams": reverse("team-list"),
        "roster": reverse("team-roster", args=[team_a.pk]),
        "skills": reverse("agent-skills", args=[agent_a.pk]),
        "history": reverse("agent-history", args=[agent_a.pk]),
        "schedule": reverse("team-schedule", args=[team_a.pk]) + "?week=2026-03-02",
        "agent-schedule": reverse("agent-schedule", args=[agent_a.pk]),
        "shift": reverse("shift-edit", args=[center["shift"].pk]),
        "schedule-import": reverse("schedule-import", args=[team_a.pk]),
        "imports": reverse("import-list"),
        "import": reverse("import-detail", args=[center["job"].pk]),
        "agent-new": reverse("agent-new"),
        "home": reverse("home"),
        "forecast": reverse("forecast") + "?queue=Billing&week=2026-03-02",
        "forecast-run": reverse("forecast-run", args=[center["run"].pk]),
    }


# The manager's count for every page. A change here is a change in the page's read plan:
# say why in the commit. (The overview's intraday chart reads two more for its forecast
# overlay: the queues of its scope and their stored forecast of the day. The team page
# reads one for its overdue coaching follow-ups.)
MANAGER_QUERIES = {
    "overview": 28, "overview-today": 26, "team": 22, "agent": 15, "targets": 7,
    "leaderboard": 12, "wallboard": 13, "alerts": 7, "adherence": 8, "kpi-help": 5,
    "explain-occupancy": 11, "explain-cost": 9, "contacts": 8, "contact": 7, "teams": 7,
    "roster": 13, "skills": 14, "history": 13, "schedule": 20, "agent-schedule": 9,
    "shift": 9, "schedule-import": 6, "imports": 6, "import": 6, "agent-new": 6, "home": 3,
    "forecast": 17, "forecast-run": 6,
}  # fmt: skip
# A supervisor's pages read a little more: their teams and the queues those serve.
SUPERVISOR_QUERIES = {
    "overview": 36, "team": 23, "agent": 16, "wallboard": 17, "leaderboard": 13,
    "adherence": 9, "contacts": 9, "roster": 14, "schedule": 21, "explain-occupancy": 12,
    "forecast": 18, "forecast-run": 8,
}  # fmt: skip


@pytest.fixture
def pages(team_a, agent_a, center):
    return _pages(team_a, agent_a, center)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(queries.captured_queries)


def test_every_page_reads_exactly_its_pinned_number_of_queries(client, manager, pages):
    client.force_login(manager)
    counts = {name: _count(client, url) for name, url in pages.items()}
    assert counts == MANAGER_QUERIES


def test_a_supervisors_pages_read_exactly_their_pinned_number_of_queries(
    client, supervisor_a, pages
):
    client.force_login(supervisor_a)
    counts = {name: _count(client, pages[name]) for name in SUPERVISOR_QUERIES}
    assert counts == SUPERVISOR_QUERIES
