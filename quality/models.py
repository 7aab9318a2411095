"""Quality assurance: scorecards (versioned forms of sections and questions), evaluations
of contacts on them, their history and disputes, calibration sessions, samples of
contacts to evaluate, and coaching sessions (docs/quality.md).

Quality sits beside the contacts it judges: it reads interactions and agents and is read
by kpis, whose rollups count each submitted evaluation in the interval of the contact it
evaluates (components qa_points, qa_possible, qa_evaluations, qa_critical_fails).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from agents.models import Agent
from interactions.models import Channel, Interaction, Queue


class Scorecard(models.Model):
    """A form the business wrote to judge contacts. Its questions live in versions: the
    newest version is the one used for new evaluations; editing a version that has been
    used makes a new version, so old evaluations keep the form they were scored on."""

    name = models.CharField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    channels = models.JSONField(
        default=list,
        blank=True,
        help_text="Channels it applies to (voice, chat, email, social, sms); empty: all.",
    )
    queues = models.ManyToManyField(
        Queue, blank=True, related_name="scorecards", help_text="Empty: every queue."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        unknown = sorted(set(self.channels or []) - set(Channel.values))
        if unknown:
            raise ValidationError({"channels": f"Unknown channel(s): {', '.join(unknown)}."})


class ScorecardVersion(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scorecard", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "number"], name="scorecard_version_unique")
        ]

    def __str__(self):
        return f"{self.scorecard} v{self.number}"


class Section(models.Model):
    version = models.ForeignKey(ScorecardVersion, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=255)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "order", "pk"]

    def __str__(self):
        return self.title


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", "Yes / no"
    SCALE = "scale", "Scale 1-5"


class Question(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=500)
    help_text = models.TextField(blank=True)
    kind = models.CharField(
        max_length=16, choices=QuestionKind.choices, default=QuestionKind.YES_NO
    )
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    allow_na = models.BooleanField(default=False, help_text="May be answered N/A (left out).")
    critical = models.BooleanField(
        default=False, help_text="A 'no' (or a 1 on a scale) fails the whole evaluation."
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["section", "order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="question_weight_non_negative")
        ]

    def __str__(self):
        return self.text


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DISPUTED = "disputed", "Disputed"
    RESOLVED = "resolved", "Dispute resolved"


class Sample(models.Model):
    """Contacts the product drew for evaluation: N random handled contacts per agent of
    a team for a week, spread fairly over the queues and channels the agent worked."""

    team = models.ForeignKey("agents.Team", on_delete=models.CASCADE, related_name="qa_samples")
    week = models.DateField(help_text="Monday of the week (local).")
    per_agent = models.PositiveSmallIntegerField(default=3)
    seed = models.BigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Sample of {self.team} week of {self.week}"


class SampleItem(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="items")
    contact = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["sample", "agent", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "contact"], name="sample_item_unique")
        ]

    def __str__(self):
        return f"Contact {self.contact_id} for {self.agent_id}"


class Calibration(models.Model):
    """Several evaluators score the same contact blind on the same version; once closed,
    the page compares them (scores, spread per question, who drifts)."""

    contact = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(ScorecardVersion, on_delete=models.PROTECT, related_name="+")
    evaluators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="calibrations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Calibration of contact {self.contact_id}"


class Evaluation(models.Model):
    """One evaluator's scoring of one contact on one scorecard version.

    score = 100 x points / possible (weighted, N/A answers left out of both); a failed
    critical question makes the score 0 (points 0) and is counted. Points and possible
    are stored as computed at submission (quality.scoring), so the rollup sums them."""

    contact = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="evaluations")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="evaluations")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.ForeignKey(
        ScorecardVersion, on_delete=models.PROTECT, related_name="evaluations"
    )
    status = models.CharField(
        max_length=16, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    points = models.FloatField(default=0)
    possible = models.FloatField(default=0)
    critical_failed = models.BooleanField(default=False)
    comment = models.TextField(blank=True)
    sample_item = models.ForeignKey(
        SampleItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluations"
    )
    calibration = models.ForeignKey(
        Calibration, null=True, blank=True, on_delete=models.CASCADE, related_name="evaluations"
    )
    dispute_reason = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agent", "status"]),
            models.Index(fields=["contact"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(possible__gte=0) & Q(points__gte=0),
                name="evaluation_points_non_negative",
            ),
            # One evaluation per evaluator in a calibration.
            models.UniqueConstraint(
                fields=["calibration", "evaluator"],
                condition=Q(calibration__isnull=False),
                name="calibration_one_per_evaluator",
            ),
        ]

    def __str__(self):
        return f"Evaluation {self.pk} of contact {self.contact_id}"

    @property
    def score(self) -> float | None:
        """100 x points / possible; None when nothing could be scored (all N/A)."""
        if self.critical_failed:
            return 0.0
        return 100.0 * self.points / self.possible if self.possible else None


class Answer(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    # yes/no: 1 yes, 0 no; scale: 1-5; null with na=True: not applicable.
    value = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    na = models.BooleanField(default=False)
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "question"], name="answer_unique"),
            models.CheckConstraint(
                condition=Q(na=True, value__isnull=True) | Q(na=False, value__isnull=False),
                name="answer_value_or_na",
            ),
        ]

    def __str__(self):
        return "N/A" if self.na else str(self.value)


class EvaluationEvent(models.Model):
    """The history of an evaluation: every step (created, submitted, acknowledged,
    disputed, resolved, rescored) with who and when and what was said."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["evaluation", "at", "pk"]

    def __str__(self):
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class CoachingSession(models.Model):
    """A supervisor's coaching of an agent, linked to evaluations and KPIs: what was
    discussed, the agreed action and a follow-up date (overdue ones show on the team
    page)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="coaching_sessions")
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_on = models.DateField()
    evaluations = models.ManyToManyField(Evaluation, blank=True, related_name="coaching_sessions")
    kpis = models.JSONField(default=list, blank=True, help_text="KPI keys discussed.")
    discussed = models.TextField()
    action = models.TextField(help_text="The action agreed.")
    follow_up_on = models.DateField(null=True, blank=True)
    followed_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["follow_up_on"])]

    def __str__(self):
        return f"Coaching of {self.agent} on {self.held_on}"
