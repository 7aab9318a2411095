import os
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from interactions import imports


class Command(BaseCommand):
    help = "Import contacts from a CSV file (or another format) in batches, with a summary."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the file, or - for standard input")
        parser.add_argument("--source", help="source name of the records (default: the format's)")
        parser.add_argument(
            "--format",
            default="native",
            choices=sorted(imports.FORMATS),
            help="file layout (default: native CSV, see docs/imports.md)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the whole file, keep nothing"
        )
        parser.add_argument(
            "--rejected-csv", help="write the rejected lines with their reasons to this CSV file"
        )

    def handle(self, *args, file, source, format, dry_run, rejected_csv, **options):
        if file == "-":
            stream, total = sys.stdin.buffer, None
        else:
            try:
                stream, total = open(file, "rb"), os.path.getsize(file)  # noqa: SIM115
            except OSError as error:
                raise CommandError(f"Cannot open {file}: {error.strerror}.") from None
        bar = tqdm(total=total, unit="B", unit_scale=True, disable=total is None, file=self.stderr)

        def progress(summary, done, _total):
            bar.update(done - bar.n)
            stored = summary.created + summary.updated
            bar.set_postfix_str(f"{stored:,} contacts, {summary.rejected:,} rejected")

        try:
            summary = imports.import_contacts(
                stream,
                format_name=format,
                source=source,
                dry_run=dry_run,
                total_bytes=total,
                progress=progress,
            )
        except imports.ImportFileError as error:
            raise CommandError(str(error)) from None
        finally:
            bar.close()
            if stream is not sys.stdin.buffer:
                stream.close()
        self._report(summary, dry_run)
        if rejected_csv:
            with open(rejected_csv, "w", encoding="utf-8", newline="") as out:
                out.write(imports.rejected_lines_csv(summary.rejected_lines))

    def _report(self, summary, dry_run):
        write = self.stdout.write
        write(("Dry run, nothing kept: " if dry_run else "") + f"{summary.lines:,} lines read.")
        write(
            f"  created {summary.created:,}, updated {summary.updated:,}, rejected {summary.rejected:,}"
        )
        for reason, count in sorted(summary.skipped.items()):
            write(f"  skipped ({reason}): {count:,}")
        if summary.adjusted:
            write(f"  answers moved to the arrival (clock skew): {summary.adjusted:,}")
        if summary.answered_without_agent:
            write(f"  answered without a known agent: {summary.answered_without_agent:,}")
        if summary.queues_created:
            write(f"  new queues: {', '.join(summary.queues_created)}")
        if summary.agents_created:
            write(f"  new agents: {len(summary.agents_created):,}")
        for warning in summary.warnings:
            write(self.style.WARNING(f"  {warning}"))
        for number, external_id, reason in summary.rejected_lines[:20]:
            write(
                self.style.ERROR(
                    f"  line {number}{f' ({external_id})' if external_id else ''}: {reason}"
                )
            )
        if summary.rejected > 20:
            write(
                f"  ... and {summary.rejected - 20:,} more rejected lines (--rejected-csv FILE lists all)"
            )
