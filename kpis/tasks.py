from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from kpis import alerts, services


@shared_task
def roll_up_dirty_intervals() -> int:
    """Every minute (beat): re-roll the days touched since the last run."""
    return services.roll_up_changes()


@shared_task
def roll_up_previous_day() -> int:
    """Every night (beat): re-roll yesterday whole, whatever the watermarks say."""
    return services.roll_up_days([timezone.localdate() - timedelta(days=1)])


@shared_task
def check_alert_rules() -> dict:
    """Every minute (beat): open, keep or close the alerts of every active rule."""
    return alerts.check_alerts()
