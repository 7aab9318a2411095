from django.urls import path

from kpis import coaching_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.overview, name="overview"),
    path("wallboard/", views.wallboard, name="wallboard"),
    path("alerts/", views.alert_list, name="alerts"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("teams/<int:pk>/", views.team_detail, name="team-detail"),
    path("teams/<int:pk>/adherence/", views.team_adherence, name="team-adherence"),
    path("agents/<int:pk>/", views.agent_detail, name="agent-detail"),
    path("targets/", views.targets, name="targets"),
    path("kpis/", views.kpi_help, name="kpi-help"),
    path("kpis/<slug:key>/", views.kpi_help, name="kpi-help-detail"),
    path("kpis/<slug:key>/explain/", views.kpi_explain, name="kpi-explain"),
    path("coaching/", coaching_views.coaching_list, name="coaching-list"),
    path("coaching/new/", coaching_views.coaching_new, name="coaching-new"),
    path("coaching/<int:pk>/", coaching_views.coaching_detail, name="coaching-detail"),
    path(
        "coaching/<int:pk>/follow-up/", coaching_views.coaching_follow_up, name="coaching-follow-up"
    ),  # fmt: skip
]
