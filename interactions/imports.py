"""Importing contact files: the native CSV and adapters for real exports in their own shape.

A file is streamed in batches through the ingest service, so memory does not grow with
the file and every rule of the contract holds as it does for the API. Each adapter turns
one line into a contact record, or says why the line is skipped (not a contact) or
rejected (a contact we cannot read), always with the line number.
"""

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from core.exports import csv_lines
from interactions import records, services
from interactions.models import ImportJob, ImportStatus

# Records per ingest call: one transaction and one upsert statement group each.
IMPORT_BATCH = 2000
REQUIRED_COLUMNS = ("external_id", "channel", "arrived_at")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (empty, wrong columns): nothing was imported."""


@dataclass
class Line:
    number: int
    record: dict | None = None
    skipped: str | None = None  # why this line is not a contact
    rejected: str | None = None  # why this contact cannot be read
    adjusted: bool = False
    external_id: str = ""  # of a rejected line, when the line names it


@dataclass
class ImportSummary:
    lines: int = 0
    created: int = 0
    updated: int = 0
    adjusted: int = 0
    answered_without_agent: int = 0
    skipped: Counter = field(default_factory=Counter)
    # (line number, external id, reasons) of every rejected line, in file order
    rejected_lines: list[tuple[int, str, str]] = field(default_factory=list)
    queues_created: list[str] = field(default_factory=list)
    agents_created: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejected_lines)

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "created": self.created,
            "updated": self.updated,
            "rejected": self.rejected,
            "adjusted": self.adjusted,
            "answered_without_agent": self.answered_without_agent,
            "skipped": dict(self.skipped),
            "queues_created": self.queues_created,
            "agents_created": self.agents_created,
            "warnings": self.warnings,
        }


def _error_text(errors: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{name}: {' '.join(messages)}" if name != "non_field_errors" else " ".join(messages)
        for name, messages in errors.items()
    )


# -- formats ------------------------------------------------------------------------------


class NativeCsv:
    """The contract's own columns (spec/contacts.md), one contact per row."""

    name = "native"
    default_source = "csv"
    delimiter = ","

    def __init__(self, summary: ImportSummary):
        self.summary = summary

    def lines(self, text: io.TextIOBase) -> Iterator[Line]:
        reader = csv.DictReader(text, delimiter=self.delimiter)
        columns = [name.strip() for name in (reader.fieldnames or []) if name]
        if not columns:
            raise ImportFileError("The file is empty: expected a header line with column names.")
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise ImportFileError(
                f"Missing column(s): {', '.join(missing)}. The header has: {', '.join(columns)}."
            )
        unknown = [name for name in columns if name not in records.CONTACT_FIELDS]
        if unknown:
            self.summary.warnings.append(f"Column(s) ignored: {', '.join(unknown)}.")
        reader.fieldnames = [name.strip() if name else name for name in reader.fieldnames]
        previous_end = 1
        for row in reader:
            number = previous_end + 1  # the line the record starts on
            previous_end = reader.line_num
            if None in row:
                yield Line(number, rejected="More cells than columns in the header.")
                continue
            yield Line(
                number,
                record={
                    name: value
                    for name, value in row.items()
                    if name in records.CONTACT_FIELDS and value not in (None, "")
                },
            )


class AnonymousBankTsv:
    """The "Anonymous Bank" call log (../shared/data/anonymous-bank/README.md).

    One line per call into a bank's voice menu; times are local Asia/Jerusalem clock
    times of the line's date, and a time more than 12 hours before `vru_entry` is on the
    next day (calls across midnight).
    """

    name = "anonymous-bank"
    default_source = "anonymous-bank"
    zone = ZoneInfo("Asia/Jerusalem")
    # The source's clocks disagree by a second or two; within this, an answer before the
    # arrival is moved to the arrival (and counted).
    CLOCK_SKEW_SECONDS = 2
    COLUMNS = (
        "vru+line",
        "call_id",
        "customer_id",
        "type",
        "date",
        "vru_entry",
        "q_start",
        "q_exit",
        "q_time",
        "outcome",
        "ser_start",
        "ser_exit",
        "ser_time",
        "server",
    )

    def __init__(self, summary: ImportSummary):
        self.summary = summary

    def lines(self, text: io.TextIOBase) -> Iterator[Line]:
        reader = csv.DictReader(text, delimiter="\t")
        if not reader.fieldnames:
            raise ImportFileError("The file is empty: expected the bank's header line.")
        missing = [name for name in self.COLUMNS if name not in reader.fieldnames]
        if missing:
            raise ImportFileError(f"Not an Anonymous Bank file: missing {', '.join(missing)}.")
        for row in reader:
            number = reader.line_num
            try:
                yield self._line(number, row)
            except (KeyError, TypeError, ValueError) as error:
                yield Line(number, rejected=f"Unreadable line: {error}.")

    @staticmethod
    def _clock(value: str) -> int:
        hours, minutes, seconds = (int(part) for part in value.split(":"))
        return hours * 3600 + minutes * 60 + seconds

    def _moment(self, day: date, value: str, entry: int) -> datetime:
        clock = self._clock(value)
        if clock < entry - 12 * 3600:
            day += timedelta(days=1)
        return datetime(day.year, day.month, day.day, tzinfo=self.zone) + timedelta(seconds=clock)

    def _line(self, number: int, row: dict) -> Line:
        outcome = row["outcome"].strip()
        queued = int(row["q_time"]) > 0
        if outcome == "PHANTOM":
            return Line(number, skipped="phantom")
        if outcome == "HANG" and not queued:
            return Line(number, skipped="left in the voice menu")
        raw_date = row["date"].strip()
        day = date(1900 + int(raw_date[:2]), int(raw_date[2:4]), int(raw_date[4:6]))
        entry = self._clock(row["vru_entry"])
        record = {
            "external_id": f"{row['vru+line'].strip()}-{row['call_id'].strip()}",
            "channel": "voice",
            "queue": row["type"].strip(),
            "customer": "" if row["customer_id"].strip() == "0" else row["customer_id"].strip(),
        }
        if outcome == "HANG":
            record["arrived_at"] = self._moment(day, row["q_start"], entry)
            record["ended_at"] = self._moment(day, row["q_exit"], entry)
            return Line(number, record=record)
        external_id = record["external_id"]
        if outcome != "AGENT":
            return Line(number, rejected=f"Unknown outcome {outcome!r}.", external_id=external_id)
        if row["ser_start"] == row["ser_exit"] == "0:00:00" and int(row["ser_time"]) == 0:
            return Line(
                number,
                rejected="Answered, but its service times were never recorded (0:00:00).",
                external_id=external_id,
            )
        answered = self._moment(day, row["ser_start"], entry)
        arrived = self._moment(day, row["q_start"], entry) if queued else answered
        adjusted = False
        if answered < arrived:
            early = (arrived - answered).total_seconds()
            if early > self.CLOCK_SKEW_SECONDS:
                return Line(
                    number,
                    rejected=f"Service began {early:.0f} s before the call entered the queue.",
                    external_id=external_id,
                )
            answered, adjusted = arrived, True
        server = row["server"].strip()
        record.update(
            arrived_at=arrived,
            answered_at=answered,
            ended_at=self._moment(day, row["ser_exit"], entry),
            talk_seconds=int(row["ser_time"]),
            agent="" if server == "NO_SERVER" else server,
        )
        return Line(number, record=record, adjusted=adjusted)


FORMATS = {adapter.name: adapter for adapter in (NativeCsv, AnonymousBankTsv)}


# -- the import ---------------------------------------------------------------------------


def import_contacts(
    binary: io.BufferedIOBase,
    *,
    format_name: str = "native",
    source: str | None = None,
    dry_run: bool = False,
    total_bytes: int | None = None,
    progress: Callable[[ImportSummary, int, int | None], None] | None = None,
) -> ImportSummary:
    """Import a contact file read from `binary`; with `dry_run` nothing is kept.

    `progress(summary, bytes_read, total_bytes)` is called after every batch.
    """
    if format_name not in FORMATS:
        raise ImportFileError(f"Unknown format {format_name!r}; known: {', '.join(FORMATS)}.")
    summary = ImportSummary()
    adapter = FORMATS[format_name](summary)
    source = source or adapter.default_source
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        _import_lines(adapter.lines(text), summary, source, binary, total_bytes, progress, dry_run)
    except UnicodeDecodeError as error:
        raise ImportFileError(f"The file is not UTF-8 text ({error.reason}).") from None
    finally:
        text.detach()
    return summary


def _import_lines(lines, summary, source, binary, total_bytes, progress, dry_run):
    batch: list[Line] = []
    for line in lines:
        summary.lines += 1
        if line.skipped:
            summary.skipped[line.skipped] += 1
        elif line.rejected:
            summary.rejected_lines.append((line.number, line.external_id, line.rejected))
        else:
            batch.append(line)
            if len(batch) >= IMPORT_BATCH:
                _ingest(batch, summary, source, dry_run)
                batch = []
                if progress:
                    progress(summary, binary.tell(), total_bytes)
    if batch:
        _ingest(batch, summary, source, dry_run)
    summary.rejected_lines.sort()
    if summary.lines == 0:
        raise ImportFileError("The file has a header but no rows.")
    if progress:
        progress(summary, total_bytes or binary.tell(), total_bytes)


def _ingest(batch: list[Line], summary: ImportSummary, source: str, dry_run: bool):
    """One batch, one transaction: progress written between batches is visible at once.

    A dry run rolls each batch back, so a key repeated in a later batch of the same file
    reports "created" again.
    """
    with transaction.atomic():
        report = services.ingest_contacts([line.record for line in batch], default_source=source)
        if dry_run:
            transaction.set_rollback(True)
    for line, result in zip(batch, report.results, strict=True):
        if result.status == services.CREATED:
            summary.created += 1
        elif result.status == services.UPDATED:
            summary.updated += 1
        else:
            summary.rejected_lines.append(
                (line.number, str(result.external_id or ""), _error_text(result.errors))
            )
        summary.adjusted += line.adjusted and result.status != services.REJECTED
    summary.answered_without_agent += report.answered_without_agent
    summary.queues_created.extend(report.queues_created)
    summary.agents_created.extend(report.agents_created)


REJECTED_COLUMNS = ("line", "external_id", "reason")


def rejected_lines_csv(summary_rows) -> str:
    """The rejected lines as the command's --rejected-csv file (the import page's download
    streams the same columns)."""
    return "".join(csv_lines(REJECTED_COLUMNS, summary_rows))


def run_import_job(job_id: int) -> None:
    """Import an uploaded file, saving progress on the job as batches go by."""
    job = ImportJob.objects.get(pk=job_id)
    if job.finished:
        return  # a redelivered task: the import already ran
    job.status, job.started_at = ImportStatus.RUNNING, timezone.now()
    job.bytes_total = job.file.size
    job.save(update_fields=["status", "started_at", "bytes_total"])

    def progress(summary, done, _total):
        ImportJob.objects.filter(pk=job_id).update(bytes_done=done, summary=summary.as_dict())

    try:
        with job.file.open("rb") as binary:
            summary = import_contacts(
                binary,
                format_name=job.format,
                source=job.source or None,
                dry_run=job.dry_run,
                total_bytes=job.bytes_total,
                progress=progress,
            )
    except ImportFileError as error:
        job.status, job.error = ImportStatus.FAILED, str(error)
    else:
        job.status = ImportStatus.DONE
        job.summary = summary.as_dict()
        job.rejected_lines = [list(row) for row in summary.rejected_lines]
        job.bytes_done = job.bytes_total
    job.finished_at = timezone.now()
    job.save()
