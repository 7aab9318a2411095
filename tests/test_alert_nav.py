"""Alerts people can act on: durations read in hours or minutes, and the Alerts page is in
the navigation with its open count for the roles that may open it."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from kpis.durations import duration
from kpis.models import Alert, AlertRule
from kpis.templatetags.kpi_format import kpi_value
from tests.factories import QueueFactory

NOW = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0:00"), (245, "4:05"), (59.6, "1:00"), (3599, "59:59"), (3600, "1 h 00 m"),
     (12552, "3 h 29 m"), (90000, "25 h 00 m")],
)  # fmt: skip
def test_duration_reads_in_minutes_under_an_hour_and_hours_above(seconds, shown):
    assert duration(seconds) == shown
    assert kpi_value(seconds, "seconds") == shown  # the pages and the alerts agree


def nav(client, url_name):
    page = client.get(reverse(url_name))
    assert page.status_code == 200
    return re.search(r'<nav class="mainnav".*?</nav>', page.content.decode(), re.S).group(0)


@pytest.fixture
def alerts(team_a):
    """Two open alerts on team A's queue, one open on another queue, one closed."""
    billing, sales = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    team_a.queues.add(billing)
    rule = AlertRule.objects.create(name="Waiting", kind="waiting_above", threshold=1)
    for subject, queue, closed_at in [("Billing", billing, None), ("Billing 2", billing, None),
                                      ("Sales", sales, None), ("Billing", billing, NOW)]:  # fmt: skip
        Alert.objects.create(rule=rule, subject=subject, queue=queue, message=subject,
                             value=2, opened_at=NOW, closed_at=closed_at)  # fmt: skip


@pytest.mark.django_db
def test_a_manager_sees_alerts_in_the_navigation_with_every_open_alert(client, manager, alerts):
    client.force_login(manager)
    assert re.search(
        r'href="/alerts/"[^>]*>Alerts <span[^>]*>3</span></a>', nav(client, "overview")
    )
    assert 'aria-current="page">Alerts' in nav(client, "alerts")


@pytest.mark.django_db
def test_a_supervisor_counts_the_alerts_of_their_teams(client, supervisor_a, alerts):
    client.force_login(supervisor_a)
    assert re.search(r">Alerts <span[^>]*>2</span></a>", nav(client, "overview"))


@pytest.mark.django_db
def test_no_open_alert_shows_the_link_without_a_count(client, manager):
    client.force_login(manager)
    assert re.search(r'href="/alerts/"[^>]*>Alerts</a>', nav(client, "overview"))


@pytest.mark.django_db
def test_an_agent_who_may_not_open_alerts_does_not_see_them(client, agent_a, alerts):
    client.force_login(agent_a.user)
    assert "Alerts" not in nav(client, "home")
    assert client.get(reverse("alerts")).status_code == 404
