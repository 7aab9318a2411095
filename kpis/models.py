"""Rollups: additive KPI components per 15-minute UTC interval, and per local day.

Every row is recomputed from raw rows by kpis.rollup (never edited in place), so these
tables can always be rebuilt. KPIs are ratios of their sums, computed at read time by
kpis.definitions.
"""

from django.conf import settings
from django.db import models

from core.jobs import JobProgress, JobStatus
from interactions.models import Channel
from kpis.definitions import KPIS


class ContactComponents(models.Model):
    offered = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    answered_in_sl = models.IntegerField(default=0)
    abandoned = models.IntegerField(default=0)
    short_abandoned = models.IntegerField(default=0)
    callbacks = models.IntegerField(default=0)
    wait_answered_sum = models.FloatField(default=0)
    # The abandoned contacts' waits (arrival to hang-up): with wait_answered_sum, the
    # time all offered contacts spent waiting, from which patience is estimated.
    wait_abandoned_sum = models.FloatField(default=0)
    wait_max = models.FloatField(null=True)
    handled = models.IntegerField(default=0)
    talk_sum = models.FloatField(default=0)
    hold_sum = models.FloatField(default=0)
    wrap_sum = models.FloatField(default=0)
    transferred = models.IntegerField(default=0)
    fcr_eligible = models.IntegerField(default=0)
    fcr_resolved = models.IntegerField(default=0)
    csat_responses = models.IntegerField(default=0)
    csat_positive = models.IntegerField(default=0)
    nps_responses = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)
    outbound_handled = models.IntegerField(default=0)
    # Quality evaluations of these contacts (kpis.definitions.QUALITY_COMPONENTS).
    qa_points = models.FloatField(default=0)
    qa_possible = models.FloatField(default=0)
    qa_evaluations = models.IntegerField(default=0)
    qa_critical_fails = models.IntegerField(default=0)

    class Meta:
        abstract = True


class StateComponents(models.Model):
    staffed_seconds = models.FloatField(default=0)
    available_seconds = models.FloatField(default=0)
    on_contact_seconds = models.FloatField(default=0)
    acw_seconds = models.FloatField(default=0)
    break_seconds = models.FloatField(default=0)
    other_seconds = models.FloatField(default=0)
    scheduled_seconds = models.FloatField(default=0)
    adherent_seconds = models.FloatField(default=0)

    class Meta:
        abstract = True


def _scope(*, indexed=True):
    """Foreign keys of a rollup row: no database constraint, so raw rows can come and go
    while a rollup is rebuilt; a missing queue, team or agent simply reads as none. A key
    that leads one of the table's composite indexes needs no index of its own
    (indexed=False): every rollup writes each index it has."""
    return {
        "null": True,
        "on_delete": models.DO_NOTHING,
        "db_constraint": False,
        "db_index": indexed,
        "related_name": "+",
    }


class ContactInterval(ContactComponents):
    """Contact components per (15-minute UTC interval, queue, team, agent, channel)."""

    interval_start = models.DateTimeField()
    queue = models.ForeignKey("interactions.Queue", **_scope(indexed=False))
    team = models.ForeignKey("agents.Team", **_scope(indexed=False))
    agent = models.ForeignKey("agents.Agent", **_scope(indexed=False))
    channel = models.CharField(max_length=16)

    class Meta:
        indexes = [
            models.Index(fields=["interval_start"]),
            models.Index(fields=["queue", "interval_start"]),
            models.Index(fields=["team", "interval_start"]),
            models.Index(fields=["agent", "interval_start"]),
        ]

    def __str__(self):
        return f"Contacts {self.interval_start:%Y-%m-%d %H:%M} {self.channel}"


class StateInterval(StateComponents):
    """Agent-state components per (15-minute UTC interval, agent, team)."""

    interval_start = models.DateTimeField()
    agent = models.ForeignKey("agents.Agent", **_scope(indexed=False))
    team = models.ForeignKey("agents.Team", **_scope(indexed=False))

    class Meta:
        indexes = [
            models.Index(fields=["interval_start"]),
            models.Index(fields=["agent", "interval_start"]),
            models.Index(fields=["team", "interval_start"]),
        ]

    def __str__(self):
        return f"States {self.interval_start:%Y-%m-%d %H:%M}"


class ContactDay(ContactComponents):
    """Contact components per (local day, queue, team, channel): long ranges read here."""

    day = models.DateField()
    queue = models.ForeignKey("interactions.Queue", **_scope(indexed=False))
    team = models.ForeignKey("agents.Team", **_scope())
    channel = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["day"]), models.Index(fields=["queue", "day"])]

    def __str__(self):
        return f"Contacts {self.day} {self.channel}"


class ContactHour(ContactComponents):
    """Contact components per (local day, local hour, queue, team, channel): the
    weekday-by-hour reads (the overview's heatmap) over weeks, whose size follows the
    period and the queues, never the contacts (the 15-minute table at a busy center holds
    nearly a row per contact, split by agent)."""

    day = models.DateField()
    hour = models.SmallIntegerField()
    queue = models.ForeignKey("interactions.Queue", **_scope(indexed=False))
    team = models.ForeignKey("agents.Team", **_scope())
    channel = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["day"]), models.Index(fields=["queue", "day"])]

    def __str__(self):
        return f"Contacts {self.day} {self.hour:02d}h {self.channel}"


class AgentDay(ContactComponents, StateComponents):
    """Contact components per (local day, agent, team, channel), and state components per
    (local day, agent, team) in a row of their own whose channel is blank (states belong
    to no channel): an agent's numbers per channel over weeks (the team page's speed of
    answer over voice and chat) read a day table, not the 15-minute one."""

    day = models.DateField()
    agent = models.ForeignKey("agents.Agent", **_scope(indexed=False))
    team = models.ForeignKey("agents.Team", **_scope(indexed=False))
    channel = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["day"]),
            models.Index(fields=["agent", "day"]),
            models.Index(fields=["team", "day"]),
        ]

    def __str__(self):
        return f"Agent {self.agent_id} {self.day}"


class RollupState(models.Model):
    """The fill state of each source of the incremental rollup (kpis.rollup.changes): how
    far its changes are rolled up, on its own stamp column. One row, locked while a
    rollup runs."""

    # Contacts and their surveys, by Interaction.updated_at.
    contacts_rolled_to = models.DateTimeField(null=True, blank=True)
    # Agent states, by AgentStateEvent.received_at.
    states_rolled_to = models.DateTimeField(null=True, blank=True)
    # Shifts and activities, by their history date.
    schedules_rolled_to = models.DateTimeField(null=True, blank=True)
    # Quality evaluations, by Evaluation.updated_at and the days marked (MarkedDay).
    evaluations_rolled_to = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The settings every stored rollup was made with (kpis.rerolls): when the running
    # settings differ, every day is re-rolled once and these are updated.
    time_zone = models.CharField(max_length=64, blank=True)
    repeat_window_days = models.FloatField(null=True, blank=True)
    state_cap_hours = models.FloatField(null=True, blank=True)
    # The components the rollup tables hold (kpis.rerolls.components_fingerprint): a new
    # component is filled for past days by the same one re-roll of every day.
    components = models.CharField(max_length=64, blank=True)
    settings_recorded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Rolled up to {self.contacts_rolled_to}"


class MarkedDay(models.Model):
    """A local day whose quality evaluations changed (quality.signals.evaluation_changed):
    the evaluations source of the incremental rollup re-rolls the days marked since its
    fill state (kpis.rollup.changes). One row per day, its mark moved on each change."""

    day = models.DateField(unique=True)
    marked_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.day} (marked {self.marked_at:%Y-%m-%d %H:%M})"


class RollupJobKind(models.TextChoices):
    DAYS = "days", "Some days"
    ALL = "all", "Every day"


class RollupJob(JobProgress, models.Model):
    """Past days re-rolled in the background after a setting they depend on changed
    (a queue's thresholds, TIME_ZONE, the repeat window, the state cap): kpis.rerolls."""

    progress_fields = ("days_done", "days_total")

    kind = models.CharField(max_length=8, choices=RollupJobKind.choices, default=RollupJobKind.DAYS)
    reason = models.CharField(
        max_length=255,
        help_text="Why, as a clause: 'the service level threshold of Sales changed'.",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Local days as ISO dates, in the order they are rolled; days_done of them are rolled.
    days = models.JSONField(default=list, blank=True)
    days_total = models.PositiveIntegerField(default=0)
    days_done = models.PositiveIntegerField(default=0)
    # A job of every day: the settings it was queued for (recorded on RollupState when done).
    target_settings = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    error = models.TextField(blank=True)
    # The worker that claimed the job, and when the job last showed life (claimed, a batch
    # rolled, or re-sent): a job silent for long is handed to another worker.
    worker = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values),
                name="rollup_job_known_status",
            ),
            models.CheckConstraint(
                condition=models.Q(days_done__lte=models.F("days_total")),
                name="rollup_job_done_within_total",
            ),
            # At most one re-roll of every day waits or runs: it covers any other.
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="all", status__in=["queued", "running"]),
                name="rollup_job_one_pending_full_reroll",
            ),
        ]

    def __str__(self):
        return f"Re-roll #{self.pk}: {self.reason}"


class TargetScope(models.TextChoices):
    CENTER = "center", "Whole center"
    QUEUE = "queue", "Queue"
    TEAM = "team", "Team"
    AGENT = "agent", "Agent"


class TargetQuerySet(models.QuerySet):
    def in_force(self, first, last=None):
        """Targets in force on some day of [first, last]: the one rule of valid from and
        due by (both inclusive) that every page, alert and API follows."""
        last = last or first
        return self.filter(valid_from__lte=last).filter(
            models.Q(due_by__isnull=True) | models.Q(due_by__gte=first)
        )


class Target(models.Model):
    """A KPI value the business aims at, for the center or one queue, team or agent."""

    kpi = models.CharField(max_length=32, choices=[(kpi.key, kpi.label) for kpi in KPIS])
    scope = models.CharField(max_length=16, choices=TargetScope.choices, default=TargetScope.CENTER)
    queue = models.ForeignKey("interactions.Queue", null=True, blank=True, on_delete=models.CASCADE)
    team = models.ForeignKey("agents.Team", null=True, blank=True, on_delete=models.CASCADE)
    agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.CASCADE)
    value = models.FloatField()
    warning_margin = models.FloatField(
        default=0, help_text="How far on the wrong side still counts as amber rather than red."
    )
    valid_from = models.DateField()
    due_by = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["kpi", "scope", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(warning_margin__gte=0), name="target_margin_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(due_by__isnull=True)
                | models.Q(due_by__gte=models.F("valid_from")),
                name="target_dates_in_order",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        scope="center", queue__isnull=True, team__isnull=True, agent__isnull=True
                    )
                    | models.Q(
                        scope="queue", queue__isnull=False, team__isnull=True, agent__isnull=True
                    )
                    | models.Q(
                        scope="team", team__isnull=False, queue__isnull=True, agent__isnull=True
                    )
                    | models.Q(
                        scope="agent", agent__isnull=False, queue__isnull=True, team__isnull=True
                    )
                ),
                name="target_scope_matches_its_object",
            ),
        ]

    def __str__(self):
        return f"{self.kpi} {self.scope_label}: {self.value:g}"

    @property
    def scope_label(self) -> str:
        target = self.queue or self.team or self.agent
        return str(target) if target else "whole center"


class AlertKind(models.TextChoices):
    WAITING_ABOVE = "waiting_above", "Contacts waiting above N"
    LONGEST_WAIT_ABOVE = "longest_wait_above", "Longest wait above N seconds"
    SERVICE_LEVEL_BELOW_TARGET = (
        "service_level_below_target",
        "Today's service level below its target",
    )
    ABANDONMENT_ABOVE = "abandonment_above", "Abandonment over the last 30 minutes above N %"
    VOLUME_ANOMALY = (
        "volume_anomaly",
        "Interval volume N standard deviations above or below usual (spread at least √usual)",
    )
    AGENT_STATE_LONGER = "agent_state_longer", "An agent in one state longer than N minutes"


class AlertRule(models.Model):
    """A condition checked every minute; while it holds, its alert stays open."""

    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    threshold = models.FloatField(
        help_text="N of the kind: contacts, seconds, percent, standard deviations or minutes."
    )
    queue = models.ForeignKey("interactions.Queue", null=True, blank=True, on_delete=models.CASCADE,
                              help_text="Only this queue (empty: every queue).")  # fmt: skip
    team = models.ForeignKey("agents.Team", null=True, blank=True, on_delete=models.CASCADE,
                             help_text="Only this team's queues and agents (empty: all).")  # fmt: skip
    channel = models.CharField(max_length=16, blank=True, choices=Channel.choices,
                               help_text="Only the queues of this channel (empty: every channel): "
                                         "a call's longest wait is not an e-mail's.")  # fmt: skip
    state = models.CharField(max_length=32, blank=True,
                             help_text="For the agent-state kind: the state (empty: any but offline and available).")  # fmt: skip
    recipients = models.TextField(
        blank=True, help_text="E-mail addresses, one per line or comma-separated."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gte=0), name="alert_rule_threshold_non_negative"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def recipient_list(self) -> list[str]:
        return [
            part.strip() for part in self.recipients.replace("\n", ",").split(",") if part.strip()
        ]


class Alert(models.Model):
    """One time a rule's condition held for one subject (a queue, an agent or the center)."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    subject = models.CharField(max_length=255)
    queue = models.ForeignKey(
        "interactions.Queue", null=True, blank=True, on_delete=models.SET_NULL
    )
    agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.SET_NULL)
    message = models.CharField(max_length=500)
    value = models.FloatField(null=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=models.Q(closed_at__isnull=True),
                name="alert_one_open_per_rule_and_subject",
            ),
        ]
        indexes = [models.Index(fields=["closed_at", "opened_at"])]

    def __str__(self):
        return self.message
