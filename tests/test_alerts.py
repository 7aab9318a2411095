"""Alert rules: open once, stay open without duplicates, close by themselves, acknowledge."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from agents.models import AgentStateEvent
from kpis import services
from kpis.alerts import acknowledge, check_alerts, visible_alerts
from kpis.models import Alert, AlertRule, Target
from tests.factories import AgentFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)


@pytest.fixture
def billing(team_a):
    queue = QueueFactory(name="Billing")
    team_a.queues.add(queue)
    return queue


def waiting(queue, seconds):
    return InteractionFactory(queue=queue, arrived_at=NOW - timedelta(seconds=seconds),
                              answered_at=None, ended_at=None)  # fmt: skip


def rule(kind, threshold, **fields):
    return AlertRule.objects.create(name=kind, kind=kind, threshold=threshold, **fields)


def test_waiting_above_opens_once_stays_open_and_closes(
    billing, mailoutbox, django_capture_on_commit_callbacks
):
    rule("waiting_above", 1, recipients="boss@example.com, ops@example.com")
    first, second = waiting(billing, 30), waiting(billing, 60)
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes after commit
        assert check_alerts(NOW) == {"opened": 1, "closed": 0}
    assert check_alerts(NOW + timedelta(minutes=1)) == {"opened": 0, "closed": 0}
    alert = Alert.objects.get()
    assert alert.subject == "Billing" and alert.value == 2 and alert.closed_at is None
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["boss@example.com", "ops@example.com"]
    second.ended_at = NOW
    second.save()
    assert check_alerts(NOW + timedelta(minutes=2)) == {"opened": 0, "closed": 1}
    assert Alert.objects.get().closed_at == NOW + timedelta(minutes=2)
    second.ended_at = None
    second.save()
    check_alerts(NOW + timedelta(minutes=3))
    assert Alert.objects.count() == 2  # a new episode is a new alert
    assert first.pk


def test_longest_wait_above(billing):
    rule("longest_wait_above", 120)
    waiting(billing, 100)
    check_alerts(NOW)
    assert not Alert.objects.exists()
    waiting(billing, 150)
    check_alerts(NOW)
    assert Alert.objects.get().value == 150


def test_service_level_below_its_target(billing):
    Target.objects.create(kpi="service_level", value=80, valid_from=NOW.date())
    rule("service_level_below_target", 0)
    start = NOW - timedelta(hours=1)
    InteractionFactory(queue=billing, arrived_at=start, answered_at=start + timedelta(seconds=10),
                       ended_at=start + timedelta(minutes=3))  # fmt: skip
    InteractionFactory(queue=billing, arrived_at=start, answered_at=start + timedelta(seconds=90),
                       ended_at=start + timedelta(minutes=3))  # fmt: skip
    check_alerts(NOW)
    alert = Alert.objects.get()
    assert alert.subject == "center" and alert.value == 50


def test_abandonment_over_the_last_30_minutes(billing):
    rule("abandonment_above", 40)
    at = NOW - timedelta(minutes=10)
    InteractionFactory(
        queue=billing, arrived_at=at, answered_at=None, ended_at=at + timedelta(seconds=60)
    )
    InteractionFactory(queue=billing, arrived_at=at)
    old = NOW - timedelta(hours=2)  # outside the half hour: does not count
    InteractionFactory(
        queue=billing, arrived_at=old, answered_at=None, ended_at=old + timedelta(seconds=60)
    )
    check_alerts(NOW)
    assert Alert.objects.get().value == 50


def test_volume_anomaly_against_the_same_interval_of_past_weeks(billing):
    rule("volume_anomaly", 2)
    interval = datetime(2026, 3, 2, 9, 45, tzinfo=UTC)  # the interval that ended at 10:00
    for weeks, count in ((1, 10), (2, 12), (3, 8), (4, 10)):
        for n in range(count):
            InteractionFactory(
                queue=billing, arrived_at=interval - timedelta(weeks=weeks) + timedelta(seconds=n)
            )
        services.roll_up_days([(interval - timedelta(weeks=weeks)).date()])
    for n in range(12):  # usual: 10 +- 1.41, limit 12.8
        InteractionFactory(queue=billing, arrived_at=interval + timedelta(seconds=n))
    check_alerts(NOW)
    assert not Alert.objects.exists()
    for n in range(3):
        InteractionFactory(queue=billing, arrived_at=interval + timedelta(seconds=100 + n))
    check_alerts(NOW)
    assert Alert.objects.get().value == 15


def test_agent_in_one_state_too_long(team_a):
    rule("agent_state_longer", 30, state="break")
    agent = AgentFactory(team=team_a, login="a1")
    AgentStateEvent.objects.create(agent=agent, state="break", at=NOW - timedelta(minutes=20))
    check_alerts(NOW)
    assert not Alert.objects.exists()
    check_alerts(NOW + timedelta(minutes=15))
    assert Alert.objects.get().subject == "a1"
    AgentStateEvent.objects.create(agent=agent, state="available", at=NOW + timedelta(minutes=16))
    check_alerts(NOW + timedelta(minutes=17))
    assert Alert.objects.get().closed_at is not None


def test_supervisors_see_and_acknowledge_their_alerts_only(
    client, billing, supervisor_a, supervisor_b, manager
):
    rule("waiting_above", 0)
    waiting(billing, 30)
    check_alerts(NOW)
    alert = Alert.objects.get()
    assert list(visible_alerts(supervisor_a)) == [alert]
    assert not visible_alerts(supervisor_b).exists()
    with pytest.raises(Alert.DoesNotExist):
        acknowledge(supervisor_b, alert.pk)
    client.force_login(supervisor_b)
    assert client.post(reverse("alerts"), {"alert": alert.pk}).status_code == 404
    client.force_login(supervisor_a)
    assert "1 open alert" in client.get(reverse("overview")).content.decode()
    client.post(reverse("alerts"), {"alert": alert.pk})
    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor_a and alert.acknowledged_at is not None
    client.force_login(manager)
    assert "Billing" in client.get(reverse("alerts")).content.decode()
