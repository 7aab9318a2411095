from datetime import timedelta

from celery import shared_task
from django.conf import settings

from core.localtime import local_today
from kpis import alerts, rerolls, rollup


@shared_task(
    soft_time_limit=settings.KPI_ROLLUP_SOFT_TIME_LIMIT, time_limit=settings.KPI_ROLLUP_TIME_LIMIT
)
def roll_up_since_watermark() -> int:
    """Every minute (beat): re-roll the days each source changed since its watermark (its
    fill state: contacts by updated_at, agent states by received_at, schedules by history
    date); first, queue a re-roll of every day if the settings changed, and send stalled
    re-roll jobs again.

    Time-limited (KPI_ROLLUP_SOFT_TIME_LIMIT / KPI_ROLLUP_TIME_LIMIT, and a statement
    timeout inside the rollup's transaction on PostgreSQL): when a limit is hit the run
    logs an error naming the days it was rolling and raises; nothing is committed, so the
    watermarks stay and the next run retries."""
    rerolls.check_settings()
    rerolls.resend_stalled_jobs()
    return rollup.roll_up_changes()


@shared_task(acks_late=True)
def run_rollup_job(job_id: int) -> str | None:
    """A queued re-roll of past days (kpis.rerolls), in batches with progress."""
    return rerolls.run_job(job_id)


@shared_task
def roll_up_previous_day() -> int:
    """Every night (beat): re-roll yesterday whole, whatever the watermarks say."""
    return rollup.roll_up_days([local_today() - timedelta(days=1)])


@shared_task
def check_alert_rules() -> dict:
    """Every minute (beat): open, keep or close the alerts of every active rule."""
    return alerts.check_alerts()
