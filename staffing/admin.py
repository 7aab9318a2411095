from django.contrib import admin

from staffing.models import QueueStaffing, ScheduleProposal, TeamStaffing


@admin.register(QueueStaffing)
class QueueStaffingAdmin(admin.ModelAdmin):
    list_display = (
        "queue",
        "target_service_level",
        "max_occupancy",
        "patience_seconds",
        "concurrency",
    )
    list_select_related = ("queue",)
    search_fields = ("queue__name",)


@admin.register(TeamStaffing)
class TeamStaffingAdmin(admin.ModelAdmin):
    list_display = ("team", "shrinkage", "plan_with")
    list_select_related = ("team",)
    search_fields = ("team__name",)


@admin.register(ScheduleProposal)
class ScheduleProposalAdmin(admin.ModelAdmin):
    list_display = ("team", "week", "status", "agent_hours", "lower_bound_hours", "created_at")
    list_filter = ("status",)
    readonly_fields = ("created_at", "decided_at")
