"""Rollups are derived data: the admin shows them (to check a number) and never edits them."""

from django.contrib import admin

from kpis import rerolls
from kpis.models import (
    AgentDay,
    Alert,
    AlertRule,
    ContactDay,
    ContactHour,
    ContactInterval,
    MarkedDay,
    RollupJob,
    RollupState,
    StateInterval,
    Target,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContactInterval)
class ContactIntervalAdmin(ReadOnlyAdmin):
    list_display = [
        "interval_start",
        "queue",
        "team",
        "agent",
        "channel",
        "offered",
        "answered",
        "handled",
    ]
    list_filter = ["channel", "queue"]
    list_select_related = ["queue", "team", "agent"]
    date_hierarchy = "interval_start"
    ordering = ["-interval_start"]


@admin.register(StateInterval)
class StateIntervalAdmin(ReadOnlyAdmin):
    list_display = ["interval_start", "agent", "team", "staffed_seconds", "on_contact_seconds"]
    list_select_related = ["agent", "team"]
    date_hierarchy = "interval_start"
    ordering = ["-interval_start"]


@admin.register(ContactDay)
class ContactDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "queue", "team", "channel", "offered", "answered", "handled"]
    list_filter = ["channel", "queue"]
    list_select_related = ["queue", "team"]
    date_hierarchy = "day"
    ordering = ["-day"]


@admin.register(ContactHour)
class ContactHourAdmin(ReadOnlyAdmin):
    list_display = ["day", "hour", "queue", "team", "channel", "offered", "answered", "handled"]
    list_filter = ["channel", "queue"]
    list_select_related = ["queue", "team"]
    date_hierarchy = "day"
    ordering = ["-day", "-hour"]


@admin.register(AgentDay)
class AgentDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "agent", "team", "channel", "handled", "staffed_seconds"]
    list_select_related = ["agent", "team"]
    date_hierarchy = "day"
    ordering = ["-day"]


@admin.register(RollupState)
class RollupStateAdmin(ReadOnlyAdmin):
    list_display = [
        "contacts_rolled_to",
        "states_rolled_to",
        "schedules_rolled_to",
        "evaluations_rolled_to",
        "time_zone",
        "repeat_window_days",
        "state_cap_hours",
        "settings_recorded_at",
        "updated_at",
    ]


@admin.register(MarkedDay)
class MarkedDayAdmin(ReadOnlyAdmin):
    """Days a changed quality evaluation marked for the minute's rollup."""

    list_display = ["day", "marked_at"]
    date_hierarchy = "day"


@admin.register(RollupJob)
class RollupJobAdmin(ReadOnlyAdmin):
    """Re-rolls of past days (kpis.rerolls): queued by changes, run by workers."""

    list_display = [
        "id",
        "reason",
        "status",
        "progress",
        "requested_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["requested_by"]
    exclude = ["days"]  # hundreds of dates: first_day and last_day say it
    readonly_fields = ["first_day", "last_day", "progress"]
    ordering = ["-created_at"]
    actions = ["run_again"]

    @admin.display(description="Progress")
    def progress(self, job):
        return f"{job.percent} % ({job.days_done} of {job.days_total} days)"

    @admin.display(description="Newest day")
    def first_day(self, job):
        return job.days[0] if job.days else "-"

    @admin.display(description="Oldest day")
    def last_day(self, job):
        return job.days[-1] if job.days else "-"

    def has_rerun_permission(self, request):
        return self.has_view_permission(request)

    @admin.action(description="Run the selected failed jobs again", permissions=["rerun"])
    def run_again(self, request, queryset):
        count = rerolls.run_again(queryset)
        self.message_user(request, f"{count} failed job{'s' if count != 1 else ''} queued again.")


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["kpi", "scope", "scope_name", "value", "warning_margin", "valid_from", "due_by"]
    list_filter = ["kpi", "scope"]
    list_select_related = ["queue", "team", "agent"]
    autocomplete_fields = ["queue", "team", "agent"]
    ordering = ["kpi", "scope"]

    @admin.display(description="For")
    def scope_name(self, target):
        return target.scope_label


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "threshold", "queue", "team", "state", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    list_select_related = ["queue", "team"]
    autocomplete_fields = ["queue", "team"]
    ordering = ["name"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "rule", "subject", "message", "closed_at", "acknowledged_by"]
    list_filter = ["rule"]
    list_select_related = ["rule", "acknowledged_by"]
    date_hierarchy = "opened_at"
    ordering = ["-opened_at"]
