"""Staffing: how many agents the stored forecast needs (Erlang C and Erlang A per queue
and 15-minute interval), the settings that decide it per queue and team, and schedule
proposals that cover the requirement (docs/staffing.md; the contract is
spec/staffing.md).

The numbers themselves are computed at read time (staffing.erlang); what is stored here
is what a person configures and the proposals a supervisor reviews.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from agents.models import Agent, Team
from interactions.models import Queue
from scheduling.models import ShiftTemplate

DEFAULT_TARGET_SERVICE_LEVEL = 0.8
DEFAULT_MAX_OCCUPANCY = 0.85
DEFAULT_SHRINKAGE = 0.30


class QueueStaffing(models.Model):
    """How one queue is staffed. Every field may be left empty for its default; a queue
    without a row is staffed on the defaults. The answer time T is the queue's own
    service-level threshold (Queue.service_level_seconds); for e-mail, SMS and social it
    is the response target their work is due within."""

    queue = models.OneToOneField(Queue, on_delete=models.CASCADE, related_name="staffing")
    target_service_level = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(0.999)],
        help_text="Share answered within the queue's threshold, 0-1 (0.8 = 80 %). Empty: "
        "the service-level target in force for the queue or the center, else 0.8.",
    )
    max_occupancy = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text="Highest share of agents' time on contacts the plan accepts, 0-1. Empty: 0.85.",
    )
    patience_seconds = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1.0), MaxValueValidator(86400.0)],
        help_text="Customers' mean patience for Erlang A. Empty: estimated from the "
        "queue's abandonment history.",
    )
    concurrency = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Contacts an agent handles at once (chat); 1 for voice.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "queue staffing setting"
        constraints = [
            models.CheckConstraint(
                condition=Q(target_service_level__isnull=True)
                | Q(target_service_level__gt=0, target_service_level__lt=1),
                name="queuestaffing_target_in_0_1",
            ),
            models.CheckConstraint(
                condition=Q(max_occupancy__isnull=True)
                | Q(max_occupancy__gt=0, max_occupancy__lte=1),
                name="queuestaffing_occupancy_in_0_1",
            ),
            models.CheckConstraint(
                condition=Q(patience_seconds__isnull=True)
                | Q(patience_seconds__gt=0, patience_seconds__lte=86400),
                name="queuestaffing_patience_positive",
            ),
            models.CheckConstraint(
                condition=Q(concurrency__gte=1), name="queuestaffing_concurrency"
            ),
        ]

    def __str__(self):
        return f"Staffing of {self.queue}"


class ShrinkageSource(models.TextChoices):
    CONFIGURED = "configured", "Configured"
    MEASURED = "measured", "Measured from the schedules"


class TeamStaffing(models.Model):
    """A team's shrinkage: the configured figure, and which one the plan assumes (the
    configured one, or the one measured from the team's recent schedules)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="staffing")
    shrinkage = models.FloatField(
        default=DEFAULT_SHRINKAGE,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.95)],
        help_text="Share of paid time not available for contacts (breaks, meetings, "
        "training, time off, absence), 0-1.",
    )
    plan_with = models.CharField(
        max_length=16,
        choices=ShrinkageSource.choices,
        default=ShrinkageSource.CONFIGURED,
        help_text="Which shrinkage turns agents needed into agents to schedule.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "team staffing setting"
        constraints = [
            models.CheckConstraint(
                condition=Q(shrinkage__gte=0, shrinkage__lt=1), name="teamstaffing_shrinkage_0_1"
            ),
        ]

    def __str__(self):
        return f"Staffing of {self.team}"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"


class ProposalMode(models.TextChoices):
    FILL = "fill", "Fill the gap (keep the week's shifts)"
    REPLAN = "replan", "Re-plan the week (replace the team's shifts)"


class ScheduleProposal(models.Model):
    """A week of shifts proposed for a team from its shift templates, covering the
    required agents with the fewest agent-hours (an integer program); a draft until a
    supervisor applies it (through the schedule's own rules) or rejects it. It either
    adds to the week's shifts (fill) or replaces the team's shifts of the week (replan)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedule_proposals")
    week = models.DateField(help_text="Monday of the week (local).")
    mode = models.CharField(max_length=16, choices=ProposalMode.choices, default=ProposalMode.FILL)
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # What the solver said: the agent-hours of the answer, the best lower bound it proved,
    # its status and time, and what it could not cover (JSON, for the page and the note).
    agent_hours = models.FloatField(default=0)
    lower_bound_hours = models.FloatField(null=True, blank=True)
    solver_status = models.CharField(max_length=255, blank=True)
    solve_seconds = models.FloatField(default=0)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["team", "week"])]

    def __str__(self):
        return f"Proposal for {self.team} week of {self.week} ({self.status})"


class ProposedShift(models.Model):
    proposal = models.ForeignKey(ScheduleProposal, on_delete=models.CASCADE, related_name="shifts")
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Empty: no agent of the team was free for it (an open shift).",
    )  # fmt: skip
    template = models.ForeignKey(
        ShiftTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The solver's stagger: the template's breaks and activities this much later.
    break_delay_minutes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["start", "agent_id"]

    def __str__(self):
        return f"{self.agent or 'open'} {self.start:%Y-%m-%d %H:%M}"
