"""Time: who is scheduled to work when, doing what, and who is away."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from agents import access
from core import roles
from core.jobs import JobProgress, JobStatus, StaleWhenSilent


class ShiftQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Shifts the user may read: by the team each shift was planned for (managers: all;
        supervisors: their teams'), and agents their own."""
        if roles.is_manager(user):
            return self.all()
        condition = Q(pk__in=[])
        if roles.is_supervisor(user):
            condition |= Q(team__in=access.visible_teams(user)) | Q(
                team__isnull=True, agent__in=access.visible_agents(user)
            )
        if roles.is_agent(user):
            condition |= Q(agent__user=user)
        return self.filter(condition)

    def editable_by(self, user):
        """Shifts the user may change: those planned for their teams (a past shift stays
        with the team it was worked for after its agent moves); managers all."""
        if roles.is_manager(user):
            return self.all()
        if not roles.is_supervisor(user):
            return self.none()
        return self.filter(
            Q(team__in=access.editable_teams(user))
            | Q(team__isnull=True, agent__in=access.editable_agents(user))
        )


class Shift(models.Model):
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="shifts")
    # The team the shift is worked for, captured when it is planned (like contacts and
    # state events): moving an agent moves their future shifts, never their past ones.
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="shifts"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Every change, deletions included: the agent's history tab, and the rollups find the
    # days whose scheduled seconds changed from it.
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ShiftQuerySet.as_manager()

    class Meta:
        ordering = ["start", "agent"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="shift_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["agent", "start"]),
            models.Index(fields=["start"]),
            models.Index(fields=["team", "start"]),
        ]

    def __str__(self):
        return f"{self.agent} {self.start:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.team_id is None and self.agent_id is not None:
            self.team_id = self.agent.team_id
        super().save(*args, **kwargs)


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
    history = HistoricalRecords()

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
        indexes = [
            models.Index(fields=["shift", "start"]),
            # The rollup's activities overlapping a range (end > its start, start < its
            # end): a recent range reads only the entries that end after it begins.
            models.Index(fields=["end", "start"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class TimeOffStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class TimeOffQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Time off the user may read: that of the agents they may see."""
        return self.filter(agent__in=access.visible_agents(user))

    def editable_by(self, user):
        """Time off the user may decide or change: that of the agents they may change."""
        return self.filter(agent__in=access.editable_agents(user))


class TimeOff(models.Model):
    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=TimeOffStatus.choices, default=TimeOffStatus.REQUESTED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = TimeOffQuerySet.as_manager()

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


class ShiftTemplate(models.Model):
    """A named shift pattern ("Early 07:00-15:30 with breaks") applied to many agents."""

    name = models.CharField(max_length=100, unique=True)
    start_time = models.TimeField(help_text="Local start time.")
    minutes = models.PositiveIntegerField(help_text="Length of the shift in minutes.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_time", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0, minutes__lte=24 * 60),
                name="shift_template_minutes_1_1440",
            ),
        ]

    def __str__(self):
        return self.name


class ShiftTemplateActivity(models.Model):
    """A break, lunch, meeting or training inside a template, placed from the shift's
    start; the rest of the shift is work."""

    template = models.ForeignKey(ShiftTemplate, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    offset_minutes = models.PositiveIntegerField(help_text="Minutes after the shift starts.")
    minutes = models.PositiveIntegerField()

    class Meta:
        ordering = ["template", "offset_minutes"]
        verbose_name_plural = "shift template activities"
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0), name="shift_template_activity_minutes_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ActivityKind.values),
                name="shift_template_activity_known_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} +{self.offset_minutes} min"


class ScheduleImportJob(JobProgress, StaleWhenSilent, models.Model):
    """A schedule CSV uploaded for one team and imported by a Celery worker
    (scheduling.services.run_schedule_import_job): good rows are kept, bad rows named,
    and each week's rows are written in one transaction."""

    progress_fields = ("rows_done", "rows_total")
    stale_setting, stale_default = "SCHEDULE_IMPORT_STALE_MINUTES", 15

    team = models.ForeignKey(
        "agents.Team", on_delete=models.CASCADE, related_name="schedule_import_jobs"
    )
    file = models.FileField(upload_to="schedule-imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # created, updated, rejected, and the Mondays of the weeks written ("weeks_applied")
    summary = models.JSONField(default=dict, blank=True)
    # [line, agent, reason] of every rejected row, in file order
    rejected_lines = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="schedule_import_jobs",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # written by the worker when it starts and after every week: a running job without one
    # for SCHEDULE_IMPORT_STALE_MINUTES lost its worker
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values),
                name="schedule_import_job_known_status",
            ),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def stopped_advice(self) -> str:
        # The weeks it wrote stay: importing the file again finishes it.
        weeks = ", ".join(self.summary.get("weeks_applied", [])) or "none"
        return (f"Weeks written: {weeks}; import the file again to finish it (rows already "
                "there are updates).")  # fmt: skip
