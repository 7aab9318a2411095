from celery import shared_task

from scheduling import services


@shared_task(acks_late=True)
def run_schedule_import(job_id: int) -> None:
    services.run_schedule_import_job(job_id)
