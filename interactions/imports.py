"""Importing contact files: the native CSV and adapters for real exports in their own shape.

A file is streamed in batches through the ingest service, so memory does not grow with
the file and every rule of the contract holds as it does for the API. Each adapter turns
one line into a contact record, or says why the line is skipped (not a contact) or
rejected (a contact we cannot read), always with the line number.
"""

import csv
import io
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from core.exports import csv_lines
from core.jobs import JobStatus, worker_stopped
from interactions import records, services
from interactions.models import ImportJob

# Records per ingest call: one transaction and one upsert statement group each.
IMPORT_BATCH = 2000
REQUIRED_COLUMNS = ("external_id", "channel", "arrived_at")

# The longest field a file may hold (characters). The csv module's own limit (128 KiB) is
# process-wide; it is raised to this once here. A line with a longer field is rejected
# ("field longer than 1 MB") and the import goes on, unless the long field is quoted over
# several lines: then the lines after it cannot be told apart and the import fails there.
MAX_FIELD_CHARS = 1024 * 1024
FIELD_TOO_LONG = "A field longer than 1 MB: the line is not read."
csv.field_size_limit(MAX_FIELD_CHARS)

logger = logging.getLogger(__name__)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (empty, wrong columns): nothing was imported;
    or it cannot be read past a line, and `summary` says what was imported before it."""

    def __init__(self, message: str, summary: "ImportSummary | None" = None):
        super().__init__(message)
        self.summary = summary


@dataclass
class Line:
    number: int
    record: dict | None = None
    skipped: str | None = None  # why this line is not a contact
    rejected: str | None = None  # why this contact cannot be read
    adjusted: bool = False
    external_id: str = ""  # of a rejected line, when the line names it
    stop: str | None = None  # why the file cannot be read past this line


class _RawLines:
    """The text's lines as the csv reader takes them, the last one kept."""

    def __init__(self, text: io.TextIOBase):
        self.text = text
        self.last = ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        self.last = next(self.text)
        return self.last


def _rows(text: io.TextIOBase, delimiter: str) -> Iterator[tuple[int, dict | None, str | None]]:
    """(first line number, row, None) for every record of a CSV file read with a header,
    or (line, None, reason) for a line the csv module cannot read (a field over
    MAX_FIELD_CHARS). The first item is the DictReader, its header read.

    After such an error the reader starts again at the next line; that is only the next
    record when the failing record lies on one line with its quotes closed. Otherwise a
    Line with `stop` ends the file there.
    """
    raw = _RawLines(text)
    reader = csv.DictReader(raw, delimiter=delimiter)
    try:
        reader.fieldnames  # noqa: B018 (reads the header)
    except csv.Error:
        raise ImportFileError(f"Line 1: {FIELD_TOO_LONG}") from None
    yield reader
    rows = iter(reader)
    previous_end = reader.reader.line_num
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error:
            number = previous_end + 1
            previous_end = reader.reader.line_num
            if previous_end != number or raw.last.count('"') % 2:
                yield number, None, None  # cannot go on
                return
            yield number, None, FIELD_TOO_LONG
            continue
        number = previous_end + 1  # the line the record starts on
        previous_end = reader.reader.line_num
        yield number, row, None


def _unreadable(number: int, problem: str | None) -> Line:
    if problem:
        return Line(number, rejected=problem)
    return Line(
        number,
        stop=f"Line {number}: {FIELD_TOO_LONG} Its field runs over several lines, so the "
        "lines after it cannot be read: the import stopped there.",
    )


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
        rows = _rows(text, self.delimiter)
        reader = next(rows)
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
        known = frozenset(records.CONTACT_FIELDS)
        for number, row, problem in rows:
            if row is None:
                yield _unreadable(number, problem)
                continue
            if None in row:
                yield Line(number, rejected="More cells than columns in the header.")
                continue
            yield Line(
                number,
                record={name: value for name, value in row.items() if name in known and value},
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
        rows = _rows(text, "\t")
        reader = next(rows)
        if not reader.fieldnames:
            raise ImportFileError("The file is empty: expected the bank's header line.")
        missing = [name for name in self.COLUMNS if name not in reader.fieldnames]
        if missing:
            raise ImportFileError(f"Not an Anonymous Bank file: missing {', '.join(missing)}.")
        for number, row, problem in rows:
            if row is None:
                yield _unreadable(number, problem)
                continue
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


def _read_ahead(lines: Iterator[Line]) -> Iterator[Line]:
    """`lines` as a thread reads them, up to two batches ahead: the file is parsed while
    the database stores the batch before (the driver waits for it without holding the
    GIL), so parsing and storing use both cores. What the reading raises is raised here.
    """
    chunks: queue.Queue = queue.Queue(maxsize=2)
    stopped = threading.Event()

    def put(item) -> bool:
        while not stopped.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read():
        try:
            chunk = []
            for line in lines:
                chunk.append(line)
                if len(chunk) >= IMPORT_BATCH:
                    if not put(chunk):
                        return  # the caller stopped reading
                    chunk = []
            if put(chunk):
                put(None)
        except BaseException as error:  # noqa: BLE001 (raised again in the caller)
            put(error)

    reader = threading.Thread(target=read, name="import-read-ahead", daemon=True)
    reader.start()
    try:
        while (chunk := chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            yield from chunk
    finally:
        stopped.set()
        reader.join()


def _import_lines(lines, summary, source, binary, total_bytes, progress, dry_run):
    with closing(_read_ahead(lines)) as read_lines:
        _import_read_lines(read_lines, summary, source, binary, total_bytes, progress, dry_run)


def _import_read_lines(lines, summary, source, binary, total_bytes, progress, dry_run):
    batch: list[Line] = []
    for line in lines:
        if line.stop:
            if batch:
                _ingest(batch, summary, source, dry_run)
            summary.rejected_lines.sort()
            raise ImportFileError(line.stop, summary)
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
        elif result.status == services.DUPLICATE:
            summary.skipped["repeated later in its batch"] += 1
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
    """Import an uploaded file, saving progress on the job as batches go by.

    Whatever happens the job ends done or failed with its reason: an unreadable file says
    why; any other error is logged and named on the job. A worker that dies leaves the job
    running without a heartbeat, which `fail_stale_jobs` later marks failed.
    """
    job = ImportJob.objects.get(pk=job_id)
    if job.finished:
        return  # a redelivered task: the import already ran
    try:
        _run(job)
    except ImportFileError as error:
        _finish(job_id, JobStatus.FAILED, error=str(error), summary=error.summary)
    except Exception as error:
        logger.exception("Contact import job %s failed", job_id)
        _finish(
            job_id,
            JobStatus.FAILED,
            error=f"The import stopped on an unexpected error ({type(error).__name__}: "
            f"{str(error)[:500]}).",
        )


def _run(job: ImportJob) -> None:
    now = timezone.now()
    job.status, job.started_at, job.heartbeat_at = JobStatus.RUNNING, now, now
    job.bytes_total = job.file.size
    job.save(update_fields=["status", "started_at", "heartbeat_at", "bytes_total"])

    def progress(summary, done, _total):
        ImportJob.objects.filter(pk=job.pk).update(
            bytes_done=done, summary=summary.as_dict(), heartbeat_at=timezone.now()
        )

    with job.file.open("rb") as binary:
        summary = import_contacts(
            binary,
            format_name=job.format,
            source=job.source or None,
            dry_run=job.dry_run,
            total_bytes=job.bytes_total,
            progress=progress,
        )
    _finish(job.pk, JobStatus.DONE, summary=summary, bytes_done=job.bytes_total)


def _finish(job_id: int, status: str, *, error: str = "", summary=None, **fields) -> None:
    """The job's end, written whatever its row holds by now (progress, a stale mark)."""
    if summary is not None:
        fields.update(
            summary=summary.as_dict(),
            rejected_lines=[list(row) for row in summary.rejected_lines],
        )
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(
        status=status, error=error, finished_at=now, heartbeat_at=now, **fields
    )


def fail_stale_jobs() -> int:
    """Mark failed every running job whose worker stopped (no heartbeat for
    IMPORT_STALE_MINUTES); the number marked."""
    return ImportJob.stale_running().update(
        status=JobStatus.FAILED,
        error=worker_stopped(ImportJob.stale_minutes(), ImportJob.stopped_advice),
        finished_at=timezone.now(),
    )
