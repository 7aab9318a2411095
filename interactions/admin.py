from django.contrib import admin

from interactions.models import (
    CostEntry,
    ImportJob,
    Interaction,
    MissedOffer,
    Queue,
    QueueLogCursor,
    Survey,
)
from interactions.signals import THRESHOLD_FIELDS, queue_thresholds_changed, thresholds_phrase


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "channel",
        "service_level_seconds",
        "short_abandon_seconds",
        "required_skill",
        "active",
    ]
    list_filter = ["channel", "active"]
    search_fields = ["name"]
    list_select_related = ["required_skill"]
    autocomplete_fields = ["required_skill"]
    ordering = ["name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [
            field
            for field in THRESHOLD_FIELDS
            if change and form.initial.get(field) != getattr(obj, field)
        ]
        if not changed:
            return
        # The rollups count with the thresholds: kpis re-rolls the queue's past days
        # (queued with this save, run by a worker after it commits).
        responses = queue_thresholds_changed.send(
            sender=type(obj), queue=obj, changed=changed, by=request.user
        )
        if not responses:
            return
        what = thresholds_phrase(changed).capitalize() + " changed"
        job = next((job for _receiver, job in responses if job is not None), None)
        if job is None:
            self.message_user(request, f"{what}: {obj} has no past numbers to re-roll.")
            return
        days = f"{job.days_total} day{'s' if job.days_total != 1 else ''}"
        self.message_user(
            request,
            f"{what}: re-rolling the {days} of {obj}'s numbers in the background (job #{job.pk}).",
        )


class SurveyInline(admin.StackedInline):
    model = Survey
    extra = 0


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "source",
        "channel",
        "direction",
        "queue",
        "agent",
        "team",
        "arrived_at",
        "answered_at",
        "ended_at",
        "csat",
    ]
    list_filter = ["channel", "direction", "source", "queue", "team", "transferred", "resolved"]
    search_fields = ["external_id", "customer", "agent__login", "topic"]
    list_select_related = ["queue", "agent", "team"]
    autocomplete_fields = ["queue", "agent", "team"]
    date_hierarchy = "arrived_at"
    ordering = ["-arrived_at"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [SurveyInline]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["source", "external_id", "channel", "direction", "queue", "topic"]}),
        ("Who", {"fields": ["agent", "team", "customer"]}),
        ("When", {"fields": ["arrived_at", "answered_at", "ended_at"]}),
        ("Handling", {"fields": ["talk_seconds", "hold_seconds", "wrap_seconds"]}),
        ("Outcome", {"fields": ["transferred", "resolved", "callback_requested", "csat", "nps"]}),
        ("Monitoring", {"fields": ["recording_url", "transcript"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["interaction", "csat", "nps", "answered_at", "created_at"]
    list_filter = ["csat", "nps"]
    search_fields = ["interaction__external_id", "comment"]
    list_select_related = ["interaction"]
    raw_id_fields = ["interaction"]
    ordering = ["-created_at"]
    show_full_result_count = False


@admin.register(CostEntry)
class CostEntryAdmin(admin.ModelAdmin):
    list_display = ["description", "amount", "start_date", "end_date", "scope"]
    list_filter = ["team"]
    search_fields = ["description"]
    list_select_related = ["team"]
    date_hierarchy = "start_date"
    ordering = ["-start_date"]

    @admin.display(description="Scope", ordering="team__name")
    def scope(self, entry):
        return entry.scope_label


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "format", "status", "dry_run", "created_by", "created_at"]
    list_filter = ["status", "format", "dry_run"]
    search_fields = ["original_name", "source"]
    list_select_related = ["created_by"]
    readonly_fields = ["summary", "rejected_lines", "error", "started_at", "finished_at"]
    ordering = ["-created_at"]


@admin.register(MissedOffer)
class MissedOfferAdmin(admin.ModelAdmin):
    list_display = ["at", "agent", "queue", "ring_seconds", "source"]
    list_filter = ["queue", "source"]
    search_fields = ["agent__login", "agent__display_name"]
    list_select_related = ["agent", "queue"]
    date_hierarchy = "at"
    ordering = ["-at"]
    show_full_result_count = False


@admin.register(QueueLogCursor)
class QueueLogCursorAdmin(admin.ModelAdmin):
    list_display = ["path", "line_number", "offset", "inode", "updated_at"]
    search_fields = ["path"]
    readonly_fields = ["state"]
    ordering = ["-updated_at"]
