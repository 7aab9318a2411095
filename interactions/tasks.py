from celery import shared_task

from interactions import imports


@shared_task(acks_late=True)
def run_import(job_id: int) -> None:
    imports.run_import_job(job_id)


@shared_task
def fail_stale_imports() -> int:
    """Beat: running imports whose worker died end failed ("worker stopped")."""
    return imports.fail_stale_jobs()
