from django.urls import path

from reports import preview_views, views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report_list, name="list"),
    path("reports/new/", views.report_edit, name="new"),
    path("reports/<int:pk>/", views.report_edit, name="edit"),
    path("reports/<int:pk>/active/", views.report_active, name="active"),
    path("reports/<int:pk>/delete/", views.report_delete, name="delete"),
    path("reports/<int:pk>/test/", views.report_test, name="test"),
    path("reports/<int:pk>/preview/", preview_views.report_preview, name="preview"),
    path("reports/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
