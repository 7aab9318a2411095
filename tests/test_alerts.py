"""Alert rules: open once, stay open without duplicates, close by themselves, acknowledge."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from agents.models import AgentStateEvent
from kpis import rollup
from kpis.alerts import _past_interval_starts, acknowledge, check_alerts, visible_alerts
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
    alert = Alert.objects.get()
    assert alert.value == 150
    assert alert.message == "Billing: the longest waiting contact has waited 2:30 (limit 2:00)"


def test_longest_wait_reads_in_hours_on_an_email_queue():
    inbox = QueueFactory(name="Inbox", channel="email")
    rule("longest_wait_above", 4 * 3600)
    waiting(inbox, 12552)
    check_alerts(NOW)
    assert not Alert.objects.exists()
    AlertRule.objects.update(threshold=3 * 3600)
    check_alerts(NOW)
    assert Alert.objects.get().message == (
        "Inbox: the longest waiting contact has waited 3 h 29 m (limit 3 h 00 m)"
    )


def test_a_channel_rule_watches_only_that_channel_s_queues(billing):
    inbox = QueueFactory(name="Inbox", channel="email")
    rule("longest_wait_above", 120, channel="voice")
    waiting(billing, 150)
    waiting(inbox, 12552)
    check_alerts(NOW)
    assert Alert.objects.get().subject == "Billing"  # an e-mail waiting hours is no call's breach
    rule("longest_wait_above", 3 * 3600, channel="email")
    check_alerts(NOW + timedelta(minutes=1))
    assert sorted(Alert.objects.values_list("subject", flat=True)) == ["Billing", "Inbox"]


def test_waiting_above_counts_contacts(billing):
    rule("waiting_above", 1)
    waiting(billing, 30)
    waiting(billing, 12552)
    check_alerts(NOW)
    assert Alert.objects.get().message == "Billing: 2 contacts waiting (limit 1)"


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


INTERVAL = datetime(2026, 3, 2, 9, 45, tzinfo=UTC)  # the interval that ended at NOW's 10:00


def arrive(queue, at, count):
    for n in range(count):
        InteractionFactory(queue=queue, arrived_at=at + timedelta(seconds=n))


def past_weeks(queue, counts, interval=INTERVAL, elsewhere=0):
    """counts[k] contacts in the interval k + 1 weeks back, rolled up; None: no data that day
    (before the queue existed). `elsewhere` more contacts four hours later the same days."""
    days = []
    for weeks, count in enumerate(counts, start=1):
        if count is None:
            continue
        then = interval - timedelta(weeks=weeks)
        arrive(queue, then, count)
        arrive(queue, then + timedelta(hours=4), elsewhere)
        days.append(timezone.localdate(then))
    rollup.roll_up_days(days)


def test_volume_spike_against_the_weeks_with_data(billing):
    rule("volume_anomaly", 2)
    past_weeks(billing, [20, 22, 18, None])  # four weeks ago the queue had no data yet
    arrive(billing, INTERVAL, 28)  # usual 20, spread sqrt(20) = 4.47: at most 28.9
    check_alerts(NOW)
    assert not Alert.objects.exists()
    arrive(billing, INTERVAL + timedelta(minutes=5), 2)
    check_alerts(NOW)
    alert = Alert.objects.get()
    assert alert.value == 30
    assert alert.message == "Billing: 30 contacts in 09:45-10:00, usually 20 (at most 28 expected)"


def test_a_queue_gone_silent_alerts_and_a_small_one_does_not(billing):
    rule("volume_anomaly", 2)
    chat = QueueFactory(name="Chat")
    past_weeks(billing, [20, 22, 18, 20])
    past_weeks(chat, [6, 6, 6, 6])  # below the 10 a drop needs: an empty interval happens
    check_alerts(NOW)
    alert = Alert.objects.get()
    assert alert.subject == "Billing" and alert.value == 0
    assert alert.message == "Billing: 0 contacts in 09:45-10:00, usually 20 (at least 12 expected)"
    arrive(billing, INTERVAL, 12)  # back to normal: the alert closes
    assert check_alerts(NOW + timedelta(minutes=1)) == {"opened": 0, "closed": 1}


def test_flat_history_still_alerts_on_a_jump(billing):
    rule("volume_anomaly", 2)
    past_weeks(billing, [20, 20, 20, 20])  # no spread at all
    arrive(billing, INTERVAL, 28)
    check_alerts(NOW)
    assert not Alert.objects.exists()
    arrive(billing, INTERVAL + timedelta(minutes=5), 172)
    check_alerts(NOW)
    assert Alert.objects.get().message == (
        "Billing: 200 contacts in 09:45-10:00, usually 20 (at most 28 expected)"
    )


def test_flat_history_still_alerts_on_a_silence(billing):
    rule("volume_anomaly", 2)
    past_weeks(billing, [20, 20, 20, 20])
    check_alerts(NOW)
    assert Alert.objects.get().message == (
        "Billing: 0 contacts in 09:45-10:00, usually 20 (at least 12 expected)"
    )


def test_an_interval_the_queue_is_closed_in_stays_quiet(billing):
    rule("volume_anomaly", 2)
    sales = QueueFactory(name="Sales")
    past_weeks(billing, [0, 0, 0, 0], elsewhere=5)  # open later those days, not at 09:45
    past_weeks(sales, [20, 20, 20, 20])
    arrive(billing, INTERVAL, 3)  # stray contacts while closed
    check_alerts(NOW)
    assert Alert.objects.get().subject == "Sales"  # the open queue's silence does alert


def test_a_queue_with_one_week_of_history_stays_quiet(billing):
    rule("volume_anomaly", 2)
    sales = QueueFactory(name="Sales")
    past_weeks(billing, [20, None, None, None])  # weeks before it existed are not zeros
    past_weeks(sales, [20, 20, None, None])  # two weeks are enough
    arrive(billing, INTERVAL, 100)
    arrive(sales, INTERVAL, 100)
    check_alerts(NOW)
    assert Alert.objects.get().subject == "Sales"


def test_volume_anomaly_compares_the_same_local_time_across_a_dst_change(billing, settings):
    settings.TIME_ZONE = "America/New_York"
    rule("volume_anomaly", 2)
    # New York moved to summer time on Sunday 2026-03-08. The interval 09:45-10:00 EDT on
    # Monday 03-09 is 13:45 UTC; the Mondays before, 09:45 EST was 14:45 UTC, and
    # 13:45 UTC was 08:45 EST, another time of the morning with other volumes.
    now = datetime(2026, 3, 9, 14, 7, tzinfo=UTC)
    interval = datetime(2026, 3, 9, 13, 45, tzinfo=UTC)
    for weeks, usual, earlier in ((1, 20, 40), (2, 22, 42), (3, 18, 38), (4, 20, 40)):
        arrive(billing, interval + timedelta(hours=1) - timedelta(weeks=weeks), usual)
        arrive(billing, interval - timedelta(weeks=weeks), earlier)
    rollup.roll_up_days([date(2026, 3, 2) - timedelta(weeks=weeks) for weeks in range(4)])
    arrive(billing, interval, 40)
    check_alerts(now)
    assert Alert.objects.get().message == (
        "Billing: 40 contacts in 09:45-10:00, usually 20 (at most 28 expected)"
    )


def test_past_intervals_skip_a_clock_time_that_did_not_exist(settings):
    settings.TIME_ZONE = "America/New_York"
    # Sunday 2026-03-15 02:15 EDT; a week before, clocks jumped from 02:00 to 03:00.
    starts = _past_interval_starts(datetime(2026, 3, 15, 6, 15, tzinfo=UTC))
    est = datetime(2026, 3, 1, 7, 15, tzinfo=UTC)  # 02:15 EST the Sunday before
    assert starts == [None, est, est - timedelta(weeks=1), est - timedelta(weeks=2)]


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
    page = client.get(reverse("alerts"))
    # The manager sees the same alert, still open, and who acknowledged it.
    assert list(page.context["open_alerts"]) == [alert]
    assert page.context["open_alerts"][0].acknowledged_by == supervisor_a
    assert "Billing" in page.content.decode()
    client.force_login(supervisor_b)
    assert list(client.get(reverse("alerts")).context["open_alerts"]) == []
