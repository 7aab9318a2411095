from celery import shared_task

from demo import feed


@shared_task
def feed_demo() -> dict:
    """Live demo traffic (beat, only when DEMO_FEED is on, as under `make run`)."""
    return feed.feed_tick()
