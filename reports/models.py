"""Report subscriptions and their deliveries (docs/reports.md).

A subscription says who gets which report (`kind`, and `params`: the page's query string,
see reports.params), how often and at what local time. Each send of one period is one
ReportDelivery, unique per (subscription, period_start): two workers or two runs of the
beat task cannot send the same period twice.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from reports.params import KINDS


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily (yesterday)"
    WEEKLY = "weekly", "Weekly (last week, Monday to Sunday)"
    MONTHLY = "monthly", "Monthly (last month)"


WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"),
            (4, "Friday"), (5, "Saturday"), (6, "Sunday")]  # fmt: skip
# A monthly report goes on this day of the month: 1-28 exist in every month, 0 is the last.
LAST_DAY = 0
MONTH_DAYS = [(LAST_DAY, "Last day")] + [(day, str(day)) for day in range(1, 29)]


class ReportSubscription(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="report_subscriptions_created",
    )
    kind = models.CharField(max_length=32, choices=list(KINDS.items()))
    params = models.CharField(
        max_length=1000, blank=True, help_text="The page's filters, e.g. team=Care+North."
    )
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=WEEKDAYS, help_text="Weekly: the day it goes."
    )
    month_day = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=MONTH_DAYS, help_text="Monthly: the day it goes."
    )
    send_time = models.TimeField(help_text="Local time of the center.")
    active = models.BooleanField(default=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recipient__username", "kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency="daily", weekday__isnull=True, month_day__isnull=True)
                | Q(frequency="weekly", weekday__gte=0, weekday__lte=6, month_day__isnull=True)
                | Q(frequency="monthly", month_day__gte=0, month_day__lte=28, weekday__isnull=True),
                name="report_subscription_schedule",
            ),
        ]
        indexes = [models.Index(fields=["active", "send_time"])]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient} ({self.schedule_label})"

    @property
    def schedule_label(self) -> str:
        at = self.send_time.strftime("%H:%M")
        if self.frequency == Frequency.WEEKLY:
            return f"weekly on {self.get_weekday_display()} at {at}"
        if self.frequency == Frequency.MONTHLY:
            day = "the last day" if self.month_day == LAST_DAY else f"day {self.month_day}"
            return f"monthly on {day} at {at}"
        return f"daily at {at}"


class DeliveryStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class ReportDelivery(models.Model):
    """One period of one subscription: created before it is sent, so it goes once."""

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.SENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a run last took it to send: a row left "sending" long after is reclaimed.
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="report_delivery_once_per_period"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name_plural = "report deliveries"

    def __str__(self):
        return f"{self.subscription} {self.period_start}: {self.status}"
