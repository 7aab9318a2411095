"""Sending report mails (docs/reports.md, "Sending"): what is due when in the center's
zone across DST, once per period however many runs, failures recorded and retried while
the others go, a real SMTP server, and access checked again at send time."""

import email
import socket
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, connection
from django.test import override_settings

from reports import selectors, services
from reports.models import ReportDelivery, ReportSubscription
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def subscribe(recipient, kind="overview", query="", frequency="daily", at=time(7), since=None,
              **schedule):  # fmt: skip
    subscription = ReportSubscription.objects.create(
        recipient=recipient, created_by=recipient, kind=kind, params=query,
        frequency=frequency, send_time=at, **schedule,
    )  # fmt: skip
    if since:
        ReportSubscription.objects.filter(pk=subscription.pk).update(created_at=since)
        subscription.refresh_from_db()
    return subscription


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@override_settings(TIME_ZONE="America/New_York", EMAIL_BACKEND=LOCMEM)
def test_a_0700_report_goes_at_0700_local_on_both_sides_of_the_spring_change(manager):
    # New York leaves EST (UTC-5) for EDT (UTC-4) on Sunday 8 March 2026 at 02:00.
    subscription = subscribe(manager, since=utc(2026, 3, 6, 18))
    sent = {}
    now = utc(2026, 3, 7, 0)
    while now <= utc(2026, 3, 9, 23, 55):
        before = set(ReportDelivery.objects.values_list("pk", flat=True))
        services.send_due(now)
        for delivery in ReportDelivery.objects.exclude(pk__in=before):
            sent[delivery.period_start] = (now, delivery.status)
        now += timedelta(minutes=5)
    assert sent == {
        date(2026, 3, 6): (utc(2026, 3, 7, 12), "sent"),  # Saturday, 07:00 EST
        date(2026, 3, 7): (utc(2026, 3, 8, 11), "sent"),  # Sunday, the change: 07:00 EDT
        date(2026, 3, 8): (utc(2026, 3, 9, 11), "sent"),  # Monday, the day after
    }
    assert len(mail.outbox) == 3
    assert subscription.deliveries.count() == 3
    assert list(subscription.deliveries.values_list("attempts", flat=True)) == [1, 1, 1]


@override_settings(TIME_ZONE="Europe/Berlin", EMAIL_BACKEND=LOCMEM)
def test_the_day_after_the_autumn_change_goes_at_0700_cet(manager):
    # Berlin leaves CEST (UTC+2) for CET (UTC+1) on Sunday 25 October 2026.
    subscribe(manager, since=utc(2026, 10, 25, 12))
    assert services.send_due(utc(2026, 10, 26, 5, 59)) == {}
    assert services.send_due(utc(2026, 10, 26, 6, 0)) == {"sent": 1}
    assert services.send_due(utc(2026, 10, 26, 6, 1)) == {}
    assert services.send_due(utc(2026, 10, 26, 9, 0)) == {}
    delivery = ReportDelivery.objects.get()
    assert (delivery.period_start, delivery.sent_at) == (date(2026, 10, 25), utc(2026, 10, 26, 6))
    assert len(mail.outbox) == 1


def test_a_time_missing_on_the_spring_day_goes_at_the_first_minute_after():
    zone = ZoneInfo("America/New_York")
    # 02:30 does not exist on 8 March 2026: the clocks go from 01:59 to 03:00 EDT.
    assert selectors.local_moment(date(2026, 3, 8), time(2, 30), zone) == utc(2026, 3, 8, 7)
    # 01:30 comes twice on 1 November 2026: the first, still EDT.
    assert selectors.local_moment(date(2026, 11, 1), time(1, 30), zone) == utc(2026, 11, 1, 5, 30)


def test_periods_weekly_on_a_weekday_and_monthly_on_the_last_day(manager):
    weekly = subscribe(manager, frequency="weekly", weekday=2)  # Wednesday
    monthly = subscribe(manager, frequency="monthly", month_day=0)
    assert selectors.goes_on(weekly, date(2026, 3, 4)) and not selectors.goes_on(
        weekly, date(2026, 3, 5)
    )
    assert selectors.period_of("weekly", date(2026, 3, 4)) == (date(2026, 2, 23), date(2026, 3, 1))
    assert selectors.goes_on(monthly, date(2026, 2, 28))
    assert not selectors.goes_on(monthly, date(2026, 3, 30))
    assert selectors.period_of("monthly", date(2026, 3, 31)) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    assert selectors.period_of("daily", date(2026, 3, 1)) == (date(2026, 2, 28), date(2026, 2, 28))


@override_settings(EMAIL_BACKEND=LOCMEM)
def test_a_second_run_at_the_same_minute_sends_nothing_and_the_row_is_unique(manager):
    subscription = subscribe(manager, since=utc(2026, 3, 1))
    assert services.send_due(utc(2026, 3, 2, 7)) == {"sent": 1}
    assert services.send_due(utc(2026, 3, 2, 7)) == {}
    assert services.send_due(utc(2026, 3, 2, 7, 30)) == {}
    # The send task delivered twice (a worker lost after sending): the second does nothing.
    assert services.deliver(ReportDelivery.objects.get().pk) == "sent"
    assert len(mail.outbox) == 1
    with pytest.raises(IntegrityError):
        ReportDelivery.objects.create(
            subscription=subscription, period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 1), due_at=utc(2026, 3, 2, 7),
        )  # fmt: skip


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="threads sharing a database need PostgreSQL (SQLite tests run in memory)",
)
@pytest.mark.django_db(transaction=True)
@override_settings(EMAIL_BACKEND=LOCMEM)
def test_two_concurrent_runs_claim_each_period_once():
    users = [UserFactory(username=f"m{n}", role="Manager") for n in range(20)]
    for user in users:
        subscribe(user, since=utc(2026, 3, 1))
    start = threading.Barrier(2)
    claimed = []

    def run():
        start.wait()
        try:
            claimed.append(services.claim_due(utc(2026, 3, 2, 7)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = claimed[0] + claimed[1]
    assert len(everything) == len(set(everything)) == 20
    assert ReportDelivery.objects.count() == 20


def free_port() -> int:
    """A port nothing listens on (free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """A real SMTP server on 127.0.0.1 that takes every recipient but `refuse`."""

    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    def start(refuse=()):
        box = Mailbox(refuse)
        port = free_port()
        controller = Controller(box, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return box, port

    started = []
    yield start
    for controller in started:
        controller.stop()


def test_a_report_through_a_real_smtp_server(manager, smtp_server, settings):
    box, port = smtp_server()
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP, "127.0.0.1", port
    subscription = subscribe(manager, since=utc(2026, 3, 1))
    assert services.send_due(utc(2026, 3, 2, 7)) == {"sent": 1}
    [(to, message)] = box.messages
    assert to == ["manager@example.com"]
    assert message.is_multipart()
    types = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= types
    assert subscription.token in message["List-Unsubscribe"]
    delivery = ReportDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")


def test_a_refused_send_is_recorded_and_retried_while_the_others_go(smtp_server, settings):
    box, port = smtp_server(refuse={"gone@example.com"})
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP, "127.0.0.1", port
    gone = UserFactory(username="gone", role="Manager")
    first = UserFactory(username="first", role="Manager")
    last = UserFactory(username="last", role="Manager")
    for user in (first, gone, last):
        subscribe(user, since=utc(2026, 3, 1))
    assert services.send_due(utc(2026, 3, 2, 7)) == {"sent": 2, "retrying": 1}
    assert sorted(to[0] for to, _ in box.messages) == ["first@example.com", "last@example.com"]
    failing = ReportDelivery.objects.get(subscription__recipient=gone)
    assert failing.status == "retrying" and failing.attempts == 1
    assert "No such mailbox" in failing.last_error
    assert failing.next_attempt_at == utc(2026, 3, 2, 7, 1)
    # Retried after 1, 5 and 30 minutes, then given up; nothing else goes again.
    for now, status, attempts in [
        (utc(2026, 3, 2, 7, 0, 59), "retrying", 1),  # not yet
        (utc(2026, 3, 2, 7, 1), "retrying", 2),
        (utc(2026, 3, 2, 7, 6), "retrying", 3),
        (utc(2026, 3, 2, 7, 36), "failed", 4),
        (utc(2026, 3, 2, 9), "failed", 4),
    ]:
        services.send_due(now)
        failing.refresh_from_db()
        assert (failing.status, failing.attempts) == (status, attempts), now
    assert failing.next_attempt_at is None
    assert len(box.messages) == 2
    assert ReportDelivery.objects.filter(status="sent").count() == 2


def test_a_retry_that_then_succeeds_is_sent(manager, smtp_server, settings):
    settings.EMAIL_BACKEND, settings.EMAIL_HOST = SMTP, "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    subscribe(manager, since=utc(2026, 3, 1))
    assert services.send_due(utc(2026, 3, 2, 7)) == {"retrying": 1}
    delivery = ReportDelivery.objects.get()
    assert "ConnectionRefusedError" in delivery.last_error
    box, port = smtp_server()
    settings.EMAIL_PORT = port
    assert services.send_due(utc(2026, 3, 2, 7, 1)) == {"sent": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, "")
    assert len(box.messages) == 1


@override_settings(EMAIL_BACKEND=LOCMEM)
def test_a_supervisor_who_left_the_team_gets_nothing_and_the_delivery_says_why(
    supervisor_a, team_a
):
    subscribe(supervisor_a, kind="team", query="team=Team+A", since=utc(2026, 3, 1))
    assert services.send_due(utc(2026, 3, 2, 7)) == {"sent": 1}
    team_a.supervisors.remove(supervisor_a)
    assert services.send_due(utc(2026, 3, 3, 7)) == {"skipped": 1}
    assert len(mail.outbox) == 1
    skipped = ReportDelivery.objects.get(status="skipped")
    assert "no longer supervises" in skipped.last_error


@override_settings(EMAIL_BACKEND=LOCMEM)
def test_an_inactive_user_or_a_lost_role_gets_nothing(manager, agent_a):
    subscribe(manager, since=utc(2026, 3, 1))
    subscribe(agent_a.user, kind="agent", query="agent=A-1", since=utc(2026, 3, 1))
    assert services.send_due(utc(2026, 3, 2, 7)) == {"sent": 2}
    manager.is_active = False
    manager.save()
    agent_a.user.agent = None
    agent_a.user = None
    agent_a.save()
    assert services.send_due(utc(2026, 3, 3, 7)) == {"skipped": 2}
    reasons = sorted(
        ReportDelivery.objects.filter(status="skipped").values_list("last_error", flat=True)
    )
    assert reasons == ["the recipient may not see agent A-1", "the recipient's account is inactive"]
    assert len(mail.outbox) == 2


@override_settings(EMAIL_BACKEND=LOCMEM)
def test_a_supervisors_overview_holds_only_their_teams(supervisor_a, team_a, team_b):
    subscribe(supervisor_a, since=utc(2026, 3, 1))
    assert services.send_due(utc(2026, 3, 2, 7)) == {"sent": 1}
    [message] = mail.outbox
    body = message.body + message.alternatives[0][0]
    assert "Team A" in body
    assert "Team B" not in body


@override_settings(EMAIL_BACKEND=LOCMEM)
def test_paused_subscriptions_and_those_made_after_the_moment_do_not_go(manager):
    subscribe(manager, since=utc(2026, 3, 2, 8))  # made after today's 07:00
    paused = subscribe(manager, since=utc(2026, 3, 1))
    paused.active = False
    paused.save()
    assert services.send_due(utc(2026, 3, 2, 9)) == {}
    assert services.send_due(utc(2026, 3, 3, 7)) == {"sent": 1}


@override_settings(EMAIL_BACKEND=LOCMEM, REPORT_SEND_STALE_MINUTES=30)
def test_a_delivery_whose_worker_stopped_is_sent_again_later(manager):
    subscribe(manager, since=utc(2026, 3, 1))
    [pk] = services.claim_due(utc(2026, 3, 2, 7))  # claimed, then the worker is lost
    assert services.send_due(utc(2026, 3, 2, 7, 29)) == {}  # maybe still at work
    assert services.send_due(utc(2026, 3, 2, 7, 31)) == {"sent": 1}
    delivery = ReportDelivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts, delivery.sent_at) == (
        "sent",
        1,
        utc(2026, 3, 2, 7, 31),
    )
    assert len(mail.outbox) == 1
