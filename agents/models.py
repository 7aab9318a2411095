"""People: teams, agents, their skills and the states they report."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Team(models.Model):
    name = models.CharField(max_length=255, unique=True)
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="supervised_teams"
    )
    # The queues this team serves: a supervisor watches these queues' live numbers.
    queues = models.ManyToManyField("interactions.Queue", blank=True, related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Agent(models.Model):
    # The login / employee id that PBXs, chat platforms and CSV files name the agent by.
    login = models.CharField(max_length=255, unique=True)
    display_name = models.CharField(max_length=255, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agent",
        help_text="The person's login to contactcenter, if they have one.",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="agents"
    )
    active = models.BooleanField(default=True)
    hourly_cost = models.DecimalField(
        max_digits=8, decimal_places=2, default=0, help_text="Loaded cost per paid hour."
    )
    skills = models.ManyToManyField("Skill", through="AgentSkill", related_name="agents")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed what and when, before and after: the agent's history tab.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["display_name", "login"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hourly_cost__gte=0), name="agent_hourly_cost_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["team", "active"])]

    def __str__(self):
        return self.display_name or self.login


class Skill(models.Model):
    name = models.CharField(max_length=255, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class AgentSkill(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="agent_skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agent_skills")
    proficiency = models.PositiveSmallIntegerField(
        default=3, help_text="1 (learning) to 5 (expert)."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["agent", "skill"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="agent_skill_unique"),
            models.CheckConstraint(
                condition=Q(proficiency__gte=1, proficiency__lte=5),
                name="agent_skill_proficiency_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.agent} · {self.skill} ({self.proficiency})"


class AgentState(models.TextChoices):
    OFFLINE = "offline", "Offline"
    AVAILABLE = "available", "Available"
    ON_CONTACT = "on_contact", "On contact"
    AFTER_CONTACT_WORK = "after_contact_work", "After contact work"
    BREAK = "break", "Break"
    LUNCH = "lunch", "Lunch"
    MEETING = "meeting", "Meeting"
    TRAINING = "training", "Training"
    OTHER = "other", "Other"


class AgentStateEvent(models.Model):
    """The agent entered `state` at `at`; the state lasts until the agent's next event."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="state_events")
    # The agent's team when the event was stored: moving an agent later leaves their past
    # hours with the team they worked them for.
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=32, choices=AgentState.choices)
    at = models.DateTimeField()
    # When we stored it: the rollups re-roll what arrived since their watermark.
    received_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["agent", "at"]
        constraints = [
            # One state per agent per instant: a retried batch updates, never duplicates.
            models.UniqueConstraint(fields=["agent", "at"], name="agent_state_event_unique"),
            models.CheckConstraint(
                condition=Q(state__in=AgentState.values), name="agent_state_event_known_state"
            ),
        ]
        indexes = [models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.agent} {self.state} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        # Stored one at a time (the admin, a test): the team is the agent's team now, as
        # the bulk ingest path captures it.
        if self.team_id is None and self.agent_id is not None:
            self.team_id = (
                Agent.objects.filter(pk=self.agent_id).values_list("team", flat=True).first()
            )
        super().save(*args, **kwargs)
