from django.contrib import admin

from reports.forms import ScheduleForm
from reports.models import ReportDelivery, ReportSubscription


class DeliveryInline(admin.TabularInline):
    model = ReportDelivery
    extra = 0
    can_delete = False
    readonly_fields = ["period_start", "period_end", "due_at", "status", "attempts",
                       "next_attempt_at", "sent_at", "last_error"]  # fmt: skip
    fields = readonly_fields


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    form = ScheduleForm
    list_display = ["recipient", "kind", "params", "frequency", "send_time", "active",
                    "created_by"]  # fmt: skip
    list_filter = ["kind", "frequency", "active"]
    search_fields = ["recipient__username", "recipient__email", "params"]
    raw_id_fields = ["recipient", "created_by"]
    inlines = [DeliveryInline]


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscription", "period_start", "period_end", "status", "attempts",
                    "sent_at", "last_error"]  # fmt: skip
    list_filter = ["status"]
    readonly_fields = ["subscription", "period_start", "period_end", "due_at", "attempts",
                       "sent_at", "created_at"]  # fmt: skip
