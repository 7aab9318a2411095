from django.urls import path

from scheduling import import_views, views

urlpatterns = [
    path("teams/<int:pk>/schedule/", views.team_schedule, name="team-schedule"),
    path("teams/<int:pk>/schedule/shifts/", views.shift_new, name="shift-new"),
    path("teams/<int:pk>/schedule/copy/", views.schedule_copy, name="schedule-copy"),
    path("teams/<int:pk>/schedule/template/", views.template_apply, name="template-apply"),
    path("teams/<int:pk>/schedule/import/", views.schedule_import, name="schedule-import"),
    path(
        "schedule-imports/<int:pk>/",
        import_views.schedule_import_detail,
        name="schedule-import-detail",
    ),  # fmt: skip
    path(
        "schedule-imports/<int:pk>/status/",
        import_views.schedule_import_status,
        name="schedule-import-status",
    ),  # fmt: skip
    path(
        "schedule-imports/<int:pk>/rejected.csv",
        import_views.schedule_import_rejected_csv,
        name="schedule-import-rejected",
    ),  # fmt: skip
    path("teams/<int:pk>/time-off/", views.time_off_new, name="time-off-new"),
    path("shifts/<int:pk>/", views.shift_edit, name="shift-edit"),
    path("shifts/<int:pk>/move/", views.shift_move, name="shift-move"),
    path("time-off/<int:pk>/decide/", views.time_off_decide, name="time-off-decide"),
    path("agents/<int:pk>/schedule/", views.agent_schedule, name="agent-schedule"),
    path("agents/<int:pk>/schedule.ics", views.agent_calendar, name="agent-calendar"),
]
