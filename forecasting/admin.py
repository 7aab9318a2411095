"""What an admin configures for forecasting: queue groups, special days, a pinned method
per queue. Runs and backtest scores are shown, never edited (a run makes them)."""

from django.contrib import admin

from forecasting.models import (
    BacktestScore,
    ForecastRun,
    QueueForecastSetting,
    QueueGroup,
    SpecialDay,
)


@admin.register(QueueGroup)
class QueueGroupAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["queues"]
    search_fields = ["name"]


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "reason", "queue_names"]
    list_filter = ["kind"]
    filter_horizontal = ["queues"]
    date_hierarchy = "date"
    search_fields = ["reason"]

    @admin.display(description="queues")
    def queue_names(self, obj):
        return ", ".join(q.name for q in obj.queues.all()) or "all queues"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("queues")


@admin.register(QueueForecastSetting)
class QueueForecastSettingAdmin(admin.ModelAdmin):
    list_display = ["queue", "pinned_method", "chosen_method", "chosen_at"]
    list_select_related = ["queue"]
    readonly_fields = ["chosen_method", "chosen_at"]
    fields = ["queue", "pinned_method", "chosen_method", "chosen_at"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ForecastRun)
class ForecastRunAdmin(ReadOnly):
    list_display = ["created_at", "trigger", "start", "weeks", "queue", "status", "percent"]
    list_filter = ["status", "trigger"]


@admin.register(BacktestScore)
class BacktestScoreAdmin(ReadOnly):
    list_display = ["computed_at", "queue", "method", "grain", "wape", "bias", "chosen"]
    list_filter = ["method", "grain", "queue"]
    list_select_related = ["queue"]
