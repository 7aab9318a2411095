from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = "Forecasting"

    def ready(self):
        # The overview's intraday chart (kpis) draws the stored forecast beside the
        # actuals; kpis cannot import this app, so the forecast is registered here.
        from forecasting.dashboards import intraday_overlay
        from kpis import dashboards

        dashboards.intraday_overlay(intraday_overlay)
