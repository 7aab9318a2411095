from django.core.management.base import BaseCommand, CommandError

from interactions import queue_log


class Command(BaseCommand):
    help = "Read an Asterisk queue_log: contacts, agent states, missed offers. Safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the queue_log file")
        parser.add_argument(
            "--source", default=queue_log.DEFAULT_SOURCE, help="source name (default: asterisk)"
        )
        parser.add_argument(
            "--follow", action="store_true", help="keep reading as the file grows (Ctrl-C stops)"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between reads with --follow"
        )

    def handle(self, *args, file, source, follow, interval, **options):
        try:
            if follow:
                self.stdout.write(f"Following {file} (Ctrl-C stops)...")
                try:
                    queue_log.follow(file, source=source, interval=interval, on_read=self._report)
                except KeyboardInterrupt:
                    self.stdout.write("Stopped.")
            else:
                self._report(queue_log.read_file(file, source=source))
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None

    def _report(self, report):
        summary = report.summary()
        self.stdout.write(
            f"{summary['lines']:,} new lines: contacts created {summary['contacts_created']:,}, "
            f"updated {summary['contacts_updated']:,}, rejected {summary['contacts_rejected']:,}; "
            f"agent states {summary['agent_events']:,}; missed offers {summary['missed_offers']:,}."
        )
        for event, count in sorted(report.unknown_events.items()):
            self.stdout.write(f"  skipped unknown event {event}: {count:,}")
        for number, reason in report.malformed[:20]:
            self.stdout.write(self.style.ERROR(f"  line {number}: {reason}"))
        if len(report.malformed) > 20:
            self.stdout.write(f"  ... and {len(report.malformed) - 20:,} more malformed lines")
        for result in report.contacts.results:
            if result.errors:
                self.stdout.write(
                    self.style.ERROR(f"  contact {result.external_id}: {result.errors}")
                )
