from celery import shared_task

from interactions import imports


@shared_task(acks_late=True)
def run_import(job_id: int) -> None:
    imports.run_import_job(job_id)
