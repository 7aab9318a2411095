from celery import shared_task

from interactions import demo_feed, imports


@shared_task(acks_late=True)
def run_import(job_id: int) -> None:
    imports.run_import_job(job_id)


@shared_task
def feed_demo() -> dict:
    """Live demo traffic (beat, only when DEMO_FEED is on, as under `make run`)."""
    return demo_feed.feed_tick()
