from django.urls import path

from kpis import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.overview, name="overview"),
    path("kpis/", views.kpi_help, name="kpi-help"),
    path("kpis/<slug:key>/", views.kpi_help, name="kpi-help-detail"),
]
