"""Scorecards are written in the admin: a scorecard, and its newest version's sections and
questions. Editing a version that evaluations already use makes a new version (see
quality.services.editable_version), so old evaluations keep the form they were scored on."""

from django.contrib import admin

from quality.models import (
    CoachingSession,
    Evaluation,
    Question,
    Scorecard,
    ScorecardVersion,
    Section,
)


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "created_at")
    filter_horizontal = ("queues",)
    search_fields = ("name",)


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


@admin.register(ScorecardVersion)
class ScorecardVersionAdmin(admin.ModelAdmin):
    list_display = ("scorecard", "number", "created_at")
    inlines = [SectionInline]


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("title", "version", "order")
    inlines = [QuestionInline]


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = (
        "contact",
        "agent",
        "evaluator",
        "status",
        "points",
        "possible",
        "critical_failed",
    )
    list_filter = ("status",)
    raw_id_fields = ("contact", "agent", "sample_item", "calibration")


@admin.register(CoachingSession)
class CoachingSessionAdmin(admin.ModelAdmin):
    list_display = ("agent", "coach", "held_on", "follow_up_on", "followed_up_at")
    raw_id_fields = ("agent",)
