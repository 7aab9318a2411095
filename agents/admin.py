from django.contrib import admin
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from agents.models import Agent, AgentSkill, AgentStateEvent, Skill, Team


class AgentSkillInline(admin.TabularInline):
    model = AgentSkill
    extra = 1
    autocomplete_fields = ["skill"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "supervisor_names", "agent_count", "created_at"]
    search_fields = ["name", "supervisors__username"]
    filter_horizontal = ["supervisors", "queues"]
    ordering = ["name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(agent_count=Count("agents", distinct=True))
            .prefetch_related("supervisors")
        )

    @admin.display(description="Supervisors")
    def supervisor_names(self, team):
        return ", ".join(user.get_full_name() or user.username for user in team.supervisors.all())

    @admin.display(description="Agents", ordering="agent_count")
    def agent_count(self, team):
        return team.agent_count


@admin.register(Agent)
class AgentAdmin(SimpleHistoryAdmin):
    list_display = ["login", "display_name", "team", "active", "hourly_cost", "user"]
    list_filter = ["active", "team", "skills"]
    list_editable = ["active"]
    search_fields = ["login", "display_name", "user__username", "user__email"]
    list_select_related = ["team", "user"]
    autocomplete_fields = ["user", "team"]
    ordering = ["display_name", "login"]
    inlines = [AgentSkillInline]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "agent_count"]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_count=Count("agent_skills"))

    @admin.display(description="Agents", ordering="agent_count")
    def agent_count(self, skill):
        return skill.agent_count


@admin.register(AgentSkill)
class AgentSkillAdmin(admin.ModelAdmin):
    list_display = ["agent", "skill", "proficiency"]
    list_filter = ["skill", "proficiency"]
    search_fields = ["agent__login", "agent__display_name", "skill__name"]
    list_select_related = ["agent", "skill"]
    autocomplete_fields = ["agent", "skill"]
    ordering = ["agent__display_name", "skill__name"]


@admin.register(AgentStateEvent)
class AgentStateEventAdmin(admin.ModelAdmin):
    list_display = ["at", "agent", "state", "received_at"]
    list_filter = ["state", "agent__team"]
    search_fields = ["agent__login", "agent__display_name"]
    list_select_related = ["agent"]
    autocomplete_fields = ["agent"]
    date_hierarchy = "at"
    ordering = ["-at"]
    # The table grows by the million: skip the exact count of the unfiltered list.
    show_full_result_count = False
