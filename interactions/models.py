"""Contacts: queues, the contacts themselves, surveys and what the center costs.

The contact record is the public contract of ../shared/spec/contacts.md; the database
enforces its invariants (time order, non-negative durations, survey ranges) so no path
can store a contact that the KPI engine would miscount.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import F, Q

from agents import access
from core import roles
from core.jobs import JobProgress, JobStatus, StaleWhenSilent


class Channel(models.TextChoices):
    VOICE = "voice", "Voice"
    CHAT = "chat", "Chat"
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social"
    SMS = "sms", "SMS"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


# Service-level threshold T and short-abandon threshold S in seconds, by channel
# (spec/kpis.md). A new queue takes its channel's values unless the admin sets others.
CHANNEL_THRESHOLDS = {
    Channel.VOICE: (20, 5),
    Channel.CHAT: (60, 5),
    Channel.SMS: (300, 0),
    Channel.SOCIAL: (3600, 0),
    Channel.EMAIL: (86400, 0),
}

# Largest duration a record may carry (spec/contacts.md: at most 10^9 seconds).
MAX_DURATION_SECONDS = 10**9

# A contact's recording is played by the supervisor's browser from where the source keeps
# it; the server never fetches it. Only web addresses: a javascript: or data: URL would
# run or embed content in the page that plays it.
RECORDING_URL_SCHEMES = ("http", "https")
RECORDING_URL_MAX_LENGTH = 2048
validate_recording_url = URLValidator(
    schemes=list(RECORDING_URL_SCHEMES), message="Enter an http:// or https:// address."
)
# A transcript (chat log, e-mail thread, call transcript) holds at most this many
# characters: settings.CONTACT_TRANSCRIPT_MAX_CHARS.
DEFAULT_TRANSCRIPT_MAX_CHARS = 100_000


def transcript_max_chars() -> int:
    return getattr(settings, "CONTACT_TRANSCRIPT_MAX_CHARS", DEFAULT_TRANSCRIPT_MAX_CHARS)


def validate_transcript_length(value: str) -> None:
    limit = transcript_max_chars()
    if len(value) > limit:
        raise ValidationError(
            f"At most {limit:,} characters (got {len(value):,}).", code="max_length"
        )


class QueueQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Queues whose numbers the user may read: managers all, supervisors those their
        teams serve, agents none."""
        if roles.is_manager(user):
            return self.all()
        if roles.is_supervisor(user):
            return self.filter(teams__supervisors=user).distinct()
        return self.none()


class Queue(models.Model):
    name = models.CharField(max_length=255, unique=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    service_level_seconds = models.PositiveIntegerField(
        blank=True,
        help_text="T: answered within this many seconds counts as in service level. "
        "Empty takes the channel's default.",
    )
    short_abandon_seconds = models.PositiveIntegerField(
        blank=True,
        help_text="S: abandoned in less than this many seconds is a short abandon. "
        "Empty takes the channel's default.",
    )
    required_skill = models.ForeignKey(
        "agents.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="queues"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QueueQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="queue_known_channel"
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        default_sl, default_short = CHANNEL_THRESHOLDS[Channel(self.channel)]
        if self.service_level_seconds is None:
            self.service_level_seconds = default_sl
        if self.short_abandon_seconds is None:
            self.short_abandon_seconds = default_short
        super().save(*args, **kwargs)


class InteractionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Contacts the user may read: managers all; supervisors their teams' (by the team
        captured at ingest) and those offered to the queues their teams serve, so a queue's
        numbers and the contacts behind them (the unanswered ones included) agree; agents
        their own."""
        if roles.is_manager(user):
            return self.all()
        condition = Q(pk__in=[])
        if roles.is_supervisor(user):
            condition |= Q(team__in=access.visible_teams(user)) | Q(
                queue__in=Queue.objects.visible_to(user)
            )
        agent = access.agent_of(user) if roles.is_agent(user) else None
        if agent is not None:
            condition |= Q(agent=agent)
        return self.filter(condition)


class Interaction(models.Model):
    """One contact: a call, chat, email, social message or SMS."""

    source = models.CharField(max_length=64)
    external_id = models.CharField(max_length=128)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(
        max_length=16, choices=Direction.choices, default=Direction.INBOUND
    )
    # No index of their own on queue, agent and team: the (queue, arrived_at), (agent,
    # arrived_at) and (team, arrived_at) indexes below serve every look-up by them (a
    # foreign key's checks included), and each index costs every insert.
    queue = models.ForeignKey(
        Queue,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
        db_index=False,
    )
    agent = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
        db_index=False,
    )
    # The agent's team when the contact was ingested: moving an agent to another team
    # later never moves their past contacts with them.
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        db_index=False,
    )
    customer = models.CharField(max_length=255, blank=True)
    arrived_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    talk_seconds = models.FloatField(default=0)
    hold_seconds = models.FloatField(default=0)
    wrap_seconds = models.FloatField(default=0)
    transferred = models.BooleanField(default=False)
    resolved = models.BooleanField(null=True, blank=True)
    callback_requested = models.BooleanField(default=False)
    topic = models.CharField(max_length=255, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    # What a supervisor monitors: where the call's recording is played from, and the
    # conversation as text.
    recording_url = models.CharField(
        max_length=RECORDING_URL_MAX_LENGTH,
        blank=True,
        validators=[validate_recording_url],
        help_text="An http:// or https:// address the browser plays; never fetched by the server.",
    )
    transcript = models.TextField(
        blank=True,
        validators=[validate_transcript_length],
        help_text="The chat log, e-mail thread or call transcript.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InteractionQuerySet.as_manager()

    class Meta:
        ordering = ["-arrived_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="interaction_source_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="interaction_known_channel"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="interaction_known_direction"
            ),
            models.CheckConstraint(
                condition=Q(direction=Direction.OUTBOUND) | Q(queue__isnull=False),
                name="interaction_inbound_has_queue",
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(answered_at__gte=F("arrived_at")),
                name="interaction_answered_after_arrival",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("arrived_at")),
                name="interaction_ended_after_arrival",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(answered_at__isnull=True)
                | Q(ended_at__gte=F("answered_at")),
                name="interaction_ended_after_answer",
            ),
            models.CheckConstraint(
                condition=Q(talk_seconds__gte=0, talk_seconds__lte=MAX_DURATION_SECONDS)
                & Q(hold_seconds__gte=0, hold_seconds__lte=MAX_DURATION_SECONDS)
                & Q(wrap_seconds__gte=0, wrap_seconds__lte=MAX_DURATION_SECONDS),
                name="interaction_durations_in_range",
            ),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="interaction_csat_1_5",
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__gte=0, nps__lte=10),
                name="interaction_nps_0_10",
            ),
            models.CheckConstraint(
                condition=Q(recording_url="")
                | Q(recording_url__istartswith="http://")
                | Q(recording_url__istartswith="https://"),
                name="interaction_recording_url_http",
            ),
        ]
        indexes = [
            models.Index(fields=["arrived_at"]),
            models.Index(fields=["queue", "arrived_at"]),
            models.Index(fields=["agent", "arrived_at"]),
            models.Index(fields=["team", "arrived_at"]),
            models.Index(fields=["customer", "arrived_at"]),
            models.Index(fields=["updated_at"]),
            # The live wallboard reads only the contacts still open.
            models.Index(
                fields=["queue", "arrived_at"],
                condition=Q(ended_at__isnull=True),
                name="interaction_open_by_queue",
            ),
        ]

    def __str__(self):
        return f"{self.source}:{self.external_id}"

    @property
    def wait_seconds(self) -> float | None:
        """The wait as the KPIs count it: to the answer, or to the end when unanswered."""
        until = self.answered_at or self.ended_at
        return (until - self.arrived_at).total_seconds() if until else None


class Survey(models.Model):
    """A survey answer that arrived on its own, after its contact.

    The answers are also written onto the contact (csat, nps), which is what the KPI
    engine reads; this row keeps the comment and when the customer answered.
    """

    interaction = models.OneToOneField(Interaction, on_delete=models.CASCADE, related_name="survey")
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="survey_csat_1_5",
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__gte=0, nps__lte=10),
                name="survey_nps_0_10",
            ),
            models.CheckConstraint(
                condition=Q(csat__isnull=False) | Q(nps__isnull=False),
                name="survey_has_an_answer",
            ),
        ]

    def __str__(self):
        return f"Survey for {self.interaction}"


class CostEntry(models.Model):
    """What the center (or one team) cost over an inclusive range of days."""

    description = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    start_date = models.DateField()
    end_date = models.DateField(help_text="Inclusive.")
    team = models.ForeignKey(
        "agents.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cost_entries",
        help_text="Empty: the whole center.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "description"]
        verbose_name_plural = "cost entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="cost_entry_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="cost_entry_dates_in_order"
            ),
        ]
        indexes = [models.Index(fields=["start_date", "end_date"])]

    def __str__(self):
        return f"{self.description} ({self.start_date} – {self.end_date})"

    @property
    def scope_label(self):
        return self.team.name if self.team_id else "Whole center"


class ImportJob(JobProgress, StaleWhenSilent, models.Model):
    """A contact file uploaded in the browser and imported by a Celery worker."""

    progress_fields = ("bytes_done", "bytes_total")
    stale_setting, stale_default = "IMPORT_STALE_MINUTES", 10
    stopped_advice = "Upload the file again."

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=32, default="native")
    source = models.CharField(max_length=64, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    bytes_total = models.BigIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    # [line, external_id, reason] of every rejected line
    rejected_lines = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Written by the worker when it starts and after every batch: a running job whose
    # heartbeat is older than IMPORT_STALE_MINUTES lost its worker (`fail_if_stale`).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="import_job_known_status"
            ),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"


class MissedOffer(models.Model):
    """A contact offered to an agent who did not take it (Asterisk's RINGNOANSWER)."""

    agent = models.ForeignKey(
        "agents.Agent", on_delete=models.CASCADE, related_name="missed_offers"
    )
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="missed_offers"
    )
    at = models.DateTimeField()
    source = models.CharField(max_length=64)
    ring_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "queue", "at"], name="missed_offer_unique"),
            models.CheckConstraint(
                condition=Q(ring_seconds__gte=0), name="missed_offer_ring_non_negative"
            ),
        ]
        indexes = [models.Index(fields=["agent", "at"])]

    def __str__(self):
        return f"{self.agent} missed {self.queue} at {self.at:%Y-%m-%d %H:%M:%S}"


class QueueLogCursor(models.Model):
    """How far the queue_log reader got in one file, and the calls still open there.

    A file is known by its device and inode (a rotated file keeps them under its new
    name) and by its first bytes (a recycled inode starts with other lines).
    """

    path = models.CharField(max_length=1024)
    device = models.BigIntegerField()
    inode = models.BigIntegerField()
    head = models.CharField(max_length=256, blank=True, help_text="The file's first line.")
    offset = models.BigIntegerField(default=0)
    line_number = models.BigIntegerField(default=0)
    state = models.JSONField(default=dict, blank=True, help_text="Open calls and agent states.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "inode", "head"], name="queue_log_cursor_file"
            ),
        ]

    def __str__(self):
        return f"{self.path} at line {self.line_number}"
