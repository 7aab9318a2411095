from django.contrib import admin

from scheduling.models import Shift, ShiftActivity, TimeOff


class ShiftActivityInline(admin.TabularInline):
    model = ShiftActivity
    extra = 1


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["agent", "start", "end", "note"]
    list_filter = ["agent__team"]
    search_fields = ["agent__login", "agent__display_name", "note"]
    list_select_related = ["agent"]
    autocomplete_fields = ["agent"]
    date_hierarchy = "start"
    ordering = ["-start"]
    inlines = [ShiftActivityInline]


@admin.register(ShiftActivity)
class ShiftActivityAdmin(admin.ModelAdmin):
    list_display = ["shift", "kind", "start", "end"]
    list_filter = ["kind"]
    search_fields = ["shift__agent__login", "shift__agent__display_name"]
    list_select_related = ["shift__agent"]
    raw_id_fields = ["shift"]
    date_hierarchy = "start"
    ordering = ["-start"]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["agent", "start", "end", "status", "reason"]
    list_filter = ["status", "agent__team"]
    search_fields = ["agent__login", "agent__display_name", "reason"]
    list_select_related = ["agent"]
    autocomplete_fields = ["agent"]
    date_hierarchy = "start"
    ordering = ["-start"]
