from django.urls import path

from forecasting import views

urlpatterns = [
    path("forecasts/", views.forecast_page, name="forecast"),
    path("forecasts/run/", views.forecast_now, name="forecast-now"),
    path("forecasts/runs/<int:pk>/", views.run_detail, name="forecast-run"),
    path("forecasts/runs/<int:pk>/status/", views.run_status, name="forecast-run-status"),
]
