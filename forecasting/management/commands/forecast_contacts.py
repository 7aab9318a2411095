from datetime import date

from django.core.management.base import BaseCommand, CommandError

from forecasting import services
from interactions.models import Queue


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--start must be a date YYYY-MM-DD, not {value!r}.") from error


class Command(BaseCommand):
    help = (
        "Forecast contacts and AHT per queue and 15-minute local interval for N weeks "
        "from a day (default tomorrow), replacing the stored forecast of that range."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", type=_day, help="first local day, YYYY-MM-DD")
        parser.add_argument(
            "--weeks", type=int, default=services.MAX_WEEKS, help="1-6 weeks (default 6)"
        )
        parser.add_argument("--queue", help="one queue by name (default every active queue)")

    def handle(self, *args, start, weeks, queue, **options):
        target = None
        if queue is not None:
            target = Queue.objects.filter(name=queue).first()
            if target is None:
                raise CommandError(f"No queue named {queue!r}.")
        try:
            run = services.forecast_contacts(start=start, weeks=weeks, queue=target)
        except services.ForecastError as error:
            raise CommandError(str(error)) from error
        for line in run.summary:
            note = f" ({line['note']})" if line["note"] else ""
            self.stdout.write(
                f"{line['queue']}: {line['method']}, {line['history_days']} days of history{note}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Forecast {len(run.summary)} queue(s), {run.weeks} week(s) from {run.start}."
            )
        )
