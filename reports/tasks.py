from celery import shared_task

from reports import services


@shared_task
def send_due_reports() -> int:
    """Every minute (beat): claim what is due and queue one send per delivery, so every
    worker takes a share."""
    claimed = services.claim_due()
    for pk in claimed:
        send_report_delivery.delay(pk)
    return len(claimed)


@shared_task(acks_late=True)
def send_report_delivery(delivery_id: int) -> str:
    return services.deliver(delivery_id)
