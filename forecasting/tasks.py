from celery import shared_task
from django.conf import settings

from forecasting import services
from forecasting.models import Trigger


@shared_task(
    acks_late=True,
    soft_time_limit=getattr(settings, "FORECAST_SOFT_TIME_LIMIT", 20 * 60),
    time_limit=getattr(settings, "FORECAST_TIME_LIMIT", 25 * 60),
)
def run_forecast(run_id: int) -> None:
    """A queued run ("Forecast now")."""
    services.execute_run(run_id)


@shared_task(
    soft_time_limit=getattr(settings, "FORECAST_SOFT_TIME_LIMIT", 20 * 60),
    time_limit=getattr(settings, "FORECAST_TIME_LIMIT", 25 * 60),
)
def forecast_nightly() -> int:
    """Beat, each night: every queue, from tomorrow, the default number of weeks."""
    return services.forecast_contacts(trigger=Trigger.SCHEDULE).pk
