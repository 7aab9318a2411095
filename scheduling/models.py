"""Time: who is scheduled to work when, doing what, and who is away."""

from django.db import models
from django.db.models import F, Q


class Shift(models.Model):
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="shifts")
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "agent"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="shift_ends_after_start"),
        ]
        indexes = [models.Index(fields=["agent", "start"]), models.Index(fields=["start"])]

    def __str__(self):
        return f"{self.agent} {self.start:%Y-%m-%d %H:%M}"


class ActivityKind(models.TextChoices):
    WORK = "work", "Work"
    BREAK = "break", "Break"
    LUNCH = "lunch", "Lunch"
    MEETING = "meeting", "Meeting"
    TRAINING = "training", "Training"


class ShiftActivity(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        verbose_name_plural = "shift activities"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="shift_activity_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ActivityKind.values), name="shift_activity_known_kind"
            ),
        ]
        indexes = [models.Index(fields=["shift", "start"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class TimeOffStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class TimeOff(models.Model):
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=TimeOffStatus.choices, default=TimeOffStatus.REQUESTED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="time_off_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TimeOffStatus.values), name="time_off_known_status"
            ),
        ]
        indexes = [models.Index(fields=["agent", "start"])]

    def __str__(self):
        return f"{self.agent} off {self.start:%Y-%m-%d}"
