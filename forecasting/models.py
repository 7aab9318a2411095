"""Forecasts of contacts offered and handle time per queue and 15-minute local interval.

The history is the KPI rollups (kpis.ContactInterval); the numbers come from
forecasting.methods; a run (ForecastRun) replaces the stored forecast of its range and
records when and how it was made, with the backtest scores that chose each queue's method.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core import roles
from core.jobs import JobProgress, JobStatus, StaleWhenSilent
from interactions.models import Queue


class Method(models.TextChoices):
    SEASONAL_NAIVE = "seasonal_naive", "Seasonal naive (same interval last week)"
    WEIGHTED_AVERAGE = "weighted_average", "Weighted seasonal average with trend"
    HOLT_WINTERS = "holt_winters", "Holt-Winters (ETS) on days, spread by intraday profile"


class Grain(models.TextChoices):
    INTERVAL = "interval", "15-minute interval"
    DAY = "day", "Day"


class QueueGroupQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Groups whose every queue the user may read: managers all, supervisors the
        groups made of queues their teams serve, agents none."""
        if roles.is_manager(user):
            return self.all()
        if roles.is_supervisor(user):
            hidden = Queue.objects.exclude(pk__in=Queue.objects.visible_to(user).values("pk"))
            return self.filter(queues__isnull=False).exclude(queues__in=hidden).distinct()
        return self.none()


class QueueGroup(models.Model):
    """Queues planned together (e.g. all of Care's voice queues): their forecasts add up."""

    name = models.CharField(max_length=255, unique=True)
    queues = models.ManyToManyField("interactions.Queue", related_name="forecast_groups")

    objects = QueueGroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SpecialDayKind(models.TextChoices):
    CLOSED = "closed", "Closed (forecast 0)"
    UNUSUAL = "unusual", "Unusual (left out of the history)"


class SpecialDayQuerySet(models.QuerySet):
    def for_queue(self, queue):
        """Special days of one queue: those naming it and those naming no queue (all)."""
        return self.filter(Q(queues=queue) | Q(queues__isnull=True)).distinct()


class SpecialDay(models.Model):
    """A day the history should not teach (a holiday, an outage, a campaign) and the
    forecast should flag. A closed day forecasts 0. No queues named means every queue."""

    date = models.DateField()
    kind = models.CharField(max_length=16, choices=SpecialDayKind.choices)
    reason = models.CharField(max_length=255)
    queues = models.ManyToManyField(
        "interactions.Queue",
        blank=True,
        related_name="special_days",
        help_text="Leave empty for every queue.",
    )

    objects = SpecialDayQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        indexes = [models.Index(fields=["date"])]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}: {self.reason}"


class QueueForecastSetting(models.Model):
    """Which method forecasts a queue: the backtests choose; a manager may pin one."""

    queue = models.OneToOneField(
        "interactions.Queue", on_delete=models.CASCADE, related_name="forecast_setting"
    )
    pinned_method = models.CharField(
        max_length=32,
        choices=Method.choices,
        blank=True,
        help_text="Leave empty to let the backtests choose the best method each run.",
    )
    chosen_method = models.CharField(max_length=32, choices=Method.choices, blank=True)
    chosen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Forecast setting of {self.queue}"

    @property
    def method(self) -> str:
        return self.pinned_method or self.chosen_method or Method.SEASONAL_NAIVE


class Trigger(models.TextChoices):
    COMMAND = "command", "Command"
    SCHEDULE = "schedule", "Nightly schedule"
    BUTTON = "button", "Forecast now"


class ForecastRun(JobProgress, StaleWhenSilent, models.Model):
    """One forecast run: its range, what started it, how far it got, how it ended."""

    progress_fields = ("queues_done", "queues_total")
    stale_setting = "FORECAST_STALE_MINUTES"
    stale_default = 30
    stopped_advice = "Run the forecast again."

    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    start = models.DateField(help_text="First local day forecast.")
    weeks = models.PositiveSmallIntegerField()
    queue = models.ForeignKey(
        "interactions.Queue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Empty: every active queue.",
    )
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    queues_done = models.PositiveIntegerField(default=0)
    queues_total = models.PositiveIntegerField(default=0)
    summary = models.JSONField(
        default=list, blank=True, help_text="Per queue: method, history days, note."
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Forecast run {self.pk} from {self.start} ({self.weeks} weeks)"


class Forecast(models.Model):
    """Expected contacts and AHT of one queue in one 15-minute interval (UTC start)."""

    queue = models.ForeignKey(
        "interactions.Queue", on_delete=models.CASCADE, related_name="forecasts"
    )
    start = models.DateTimeField()
    contacts = models.FloatField()
    aht_seconds = models.FloatField(null=True)
    method = models.CharField(max_length=32, choices=Method.choices)
    special = models.CharField(max_length=255, null=True)
    run = models.ForeignKey(ForecastRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "start"], name="forecast_one_per_interval")
        ]

    def __str__(self):
        return f"{self.queue_id} {self.start:%Y-%m-%d %H:%M} {self.contacts:.1f}"


class ForecastDay(models.Model):
    """One queue's forecast of one local day: the total, its 80 % interval and its AHT."""

    queue = models.ForeignKey(
        "interactions.Queue", on_delete=models.CASCADE, related_name="forecast_days"
    )
    day = models.DateField()
    contacts = models.FloatField()
    lower = models.FloatField()
    upper = models.FloatField()
    aht_seconds = models.FloatField(null=True)
    method = models.CharField(max_length=32, choices=Method.choices)
    special = models.CharField(max_length=255, null=True)
    run = models.ForeignKey(ForecastRun, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "day"], name="forecast_one_per_day")
        ]

    def __str__(self):
        return f"{self.queue_id} {self.day} {self.contacts:.0f}"


class BacktestScore(models.Model):
    """How one method did on one queue in a run's rolling-origin backtest."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="scores")
    queue = models.ForeignKey(
        "interactions.Queue", on_delete=models.CASCADE, related_name="backtest_scores"
    )
    method = models.CharField(max_length=32, choices=Method.choices)
    grain = models.CharField(max_length=16, choices=Grain.choices)
    wape = models.FloatField(null=True)
    bias = models.FloatField(null=True)
    origins = models.PositiveSmallIntegerField()
    actual = models.FloatField()
    chosen = models.BooleanField(default=False)
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["queue", "grain", "method"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "queue", "method", "grain"], name="backtest_one_score"
            )
        ]
        indexes = [models.Index(fields=["queue", "computed_at"])]

    def __str__(self):
        return f"{self.queue_id} {self.method} {self.grain} {self.wape}"
