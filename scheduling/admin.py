from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from scheduling.models import (
    ScheduleImportJob,
    Shift,
    ShiftActivity,
    ShiftTemplate,
    ShiftTemplateActivity,
    TimeOff,
)


class PlannedInThePages:
    """Shifts, activities and time off are planned on the schedule pages, which check the
    rules (no overlaps, activities inside their shift, nothing on approved time off) and
    record who changed what. The admin shows them, with their history, and may delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ShiftActivityInline(PlannedInThePages, admin.TabularInline):
    model = ShiftActivity
    extra = 0


@admin.register(Shift)
class ShiftAdmin(PlannedInThePages, SimpleHistoryAdmin):
    list_display = ["agent", "team", "start", "end", "note"]
    list_filter = ["team"]
    search_fields = ["agent__login", "agent__display_name", "note"]
    list_select_related = ["agent"]
    autocomplete_fields = ["agent"]
    date_hierarchy = "start"
    ordering = ["-start"]
    inlines = [ShiftActivityInline]


@admin.register(ShiftActivity)
class ShiftActivityAdmin(PlannedInThePages, admin.ModelAdmin):
    list_display = ["shift", "kind", "start", "end"]
    list_filter = ["kind"]
    search_fields = ["shift__agent__login", "shift__agent__display_name"]
    list_select_related = ["shift__agent"]
    raw_id_fields = ["shift"]
    date_hierarchy = "start"
    ordering = ["-start"]


@admin.register(TimeOff)
class TimeOffAdmin(PlannedInThePages, SimpleHistoryAdmin):
    list_display = ["agent", "start", "end", "status", "reason"]
    list_filter = ["status", "agent__team"]
    search_fields = ["agent__login", "agent__display_name", "reason"]
    list_select_related = ["agent"]
    autocomplete_fields = ["agent"]
    date_hierarchy = "start"
    ordering = ["-start"]


class ShiftTemplateActivityInline(admin.TabularInline):
    model = ShiftTemplateActivity
    extra = 2


@admin.register(ShiftTemplate)
class ShiftTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "start_time", "minutes"]
    search_fields = ["name"]
    inlines = [ShiftTemplateActivityInline]


@admin.register(ShiftTemplateActivity)
class ShiftTemplateActivityAdmin(admin.ModelAdmin):
    list_display = ["template", "kind", "offset_minutes", "minutes"]
    list_filter = ["template", "kind"]


@admin.register(ScheduleImportJob)
class ScheduleImportJobAdmin(admin.ModelAdmin):
    """Uploaded on a team's import page; shown here to follow up a failed job."""

    list_display = ["original_name", "team", "status", "created_by", "created_at"]
    list_filter = ["status", "team"]
    search_fields = ["original_name"]
    list_select_related = ["team", "created_by"]
    readonly_fields = ["summary", "rejected_lines", "error", "started_at", "finished_at"]
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False
