"""Writes: subscriptions, and the sending of what is due (docs/reports.md, "Sending").

Sending is claim, then deliver. `claim_due(now)` inserts one ReportDelivery per due
(subscription, period): the unique constraint lets exactly one of two runs or workers
insert it, and only the one that inserted sends. A failed send is retried after 1, 5 and
30 minutes, then marked failed; every delivery is its own try, so one failure stops none
of the others.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from reports import render, selectors
from reports.models import DeliveryStatus, ReportDelivery, ReportSubscription

log = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd and 3rd failed attempt; after the 4th it is failed.
RETRY_MINUTES = (1, 5, 30)


def save_subscription(subscription: ReportSubscription, actor) -> ReportSubscription:
    if subscription.pk is None:
        subscription.created_by = actor
    subscription.full_clean()
    subscription.save()
    return subscription


def set_active(subscription: ReportSubscription, active: bool) -> None:
    subscription.active = active
    subscription.save(update_fields=["active"])


def unsubscribe(token: str) -> ReportSubscription | None:
    """Pause the subscription holding `token` (the mail's one-click link)."""
    subscription = ReportSubscription.objects.filter(token=token).first()
    if subscription is not None:
        set_active(subscription, False)
    return subscription


def claim_due(now: datetime | None = None) -> list[int]:
    """The deliveries to send now: new ones for subscriptions whose moment has come
    (inserted here, once per period), and failed ones whose retry time has come."""
    now = now or timezone.now()
    zone = selectors.center_zone()
    claimed = []
    for subscription in ReportSubscription.objects.filter(active=True).order_by("pk"):
        due = selectors.due_occurrence(subscription, now, zone)
        if due is None:
            continue
        day, moment = due
        first, last = selectors.period_of(subscription.frequency, day)
        try:
            with transaction.atomic():
                delivery = ReportDelivery.objects.create(
                    subscription=subscription,
                    period_start=first,
                    period_end=last,
                    due_at=moment,
                    claimed_at=now,
                )
        except IntegrityError:
            continue  # this period is already sent, or being sent by another run
        claimed.append(delivery.pk)
    # A worker stopped between claim and record (killed, machine lost): try it again.
    ReportDelivery.objects.filter(
        status=DeliveryStatus.SENDING,
        claimed_at__lt=now - timedelta(minutes=settings.REPORT_SEND_STALE_MINUTES),
    ).update(
        status=DeliveryStatus.RETRYING,
        next_attempt_at=now,
        last_error="the worker sending it stopped",
    )
    retries = ReportDelivery.objects.filter(
        status=DeliveryStatus.RETRYING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)
    # Only the run whose update changes the row retries it.
    claimed.extend(
        pk
        for pk in retries
        if ReportDelivery.objects.filter(pk=pk, status=DeliveryStatus.RETRYING).update(
            status=DeliveryStatus.SENDING, claimed_at=now
        )
    )
    return claimed


def deliver(delivery_id: int, now: datetime | None = None) -> str:
    """Render and send one claimed delivery; record what happened. Returns its status."""
    now = now or timezone.now()
    delivery = ReportDelivery.objects.select_related("subscription__recipient").get(pk=delivery_id)
    if delivery.status != DeliveryStatus.SENDING:
        return delivery.status  # a task delivered twice: the first one settled it
    subscription = delivery.subscription
    recipient = subscription.recipient
    delivery.attempts += 1
    problem = selectors.access_problem(recipient, subscription.kind, subscription.params)
    if not problem and not recipient.email:
        problem = "the recipient has no e-mail address"
    if problem:
        delivery.status, delivery.last_error = DeliveryStatus.SKIPPED, problem
        delivery.next_attempt_at = None
    else:
        try:
            rendered = render.render_report(
                subscription.kind,
                subscription.params,
                recipient,
                delivery.period_start,
                delivery.period_end,
            )
            render.send(rendered, recipient.email, unsubscribe_url(subscription))
        except render.ReportUnavailable as error:
            delivery.status, delivery.last_error = DeliveryStatus.SKIPPED, str(error)
        except Exception as error:  # noqa: BLE001 - any failure is recorded and retried
            log.warning("Report delivery %s failed: %s", delivery.pk, error)
            _failed(delivery, f"{type(error).__name__}: {error}", now)
        else:
            delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
            delivery.last_error, delivery.next_attempt_at = "", None
    delivery.save(update_fields=["status", "attempts", "sent_at", "last_error", "next_attempt_at"])
    return delivery.status


def _failed(delivery: ReportDelivery, error: str, now: datetime) -> None:
    delivery.last_error = error[:2000]
    if delivery.attempts <= len(RETRY_MINUTES):
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + timedelta(minutes=RETRY_MINUTES[delivery.attempts - 1])
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None


def send_due(now: datetime | None = None) -> dict[str, int]:
    """Claim and send in this process what is due: {status: count}."""
    counts: dict[str, int] = {}
    for pk in claim_due(now):
        status = deliver(pk, now)
        counts[status] = counts.get(status, 0) + 1
    return counts


def send_test(subscription: ReportSubscription, first, last) -> None:
    """ "Send me a test now": the report as it would go, to the recipient, outside the
    schedule and without a delivery row."""
    rendered = render.render_report(
        subscription.kind, subscription.params, subscription.recipient, first, last
    )
    render.send(rendered, subscription.recipient.email, unsubscribe_url(subscription))


def unsubscribe_url(subscription: ReportSubscription) -> str:
    path = reverse("reports:unsubscribe", args=[subscription.token])
    return settings.SITE_URL.rstrip("/") + path
