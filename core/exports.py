"""The one CSV writer every table export goes through.

Every page that shows a table offers the same rows as a CSV file, asked for with
`?export=<the table's id>` (`?export=roster` on the roster). Writing them here keeps the
format one thing: UTF-8 with a byte-order mark (Excel opens it with accents intact),
empty cells for missing values, ISO dates, times in the local time zone with their
offset, to the second, and text that a spreadsheet would run as a formula (a cell
starting with =, +, -, @, tab or carriage return) quoted with a leading apostrophe, so an
agent named "=HYPERLINK(...)" stays a name.

`?export=<table>.xlsx` gives the same rows as an Excel workbook: `csv_response` returns a
`TableExport` that keeps its header and rows, and `XlsxMiddleware` writes those as
.xlsx (core/xlsx.py) when the request asked for it, so no view defines a table twice.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = ".xlsx"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def requested(request, table: str) -> bool:
    """Whether this request asks for `table` as CSV rather than the page. GET only: a form
    posted to a URL that happens to carry ?export= still does what it posts."""
    return request.method in ("GET", "HEAD") and request.GET.get("export") in (table, table + XLSX)


def wants_xlsx(request) -> bool:
    return request.method in ("GET", "HEAD") and request.GET.get("export", "").endswith(XLSX)


def cell(value):
    """One value as it is written to the file."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return value
    # Anything else is written as its text (a user, a team): checked as text too.
    value = str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Echo:
    def write(self, value):
        return value


def csv_filename(*parts) -> str:
    """A safe file name from its parts: csv_filename("team", "Care North", day); a moment
    (a live snapshot's) is named by its local minute."""
    parts = [
        timezone.localtime(part).strftime("%Y-%m-%d-%H%M") if isinstance(part, datetime) else part
        for part in parts
        if part not in (None, "")
    ]
    return "-".join(slugify(str(part)) for part in parts) + ".csv"


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The file line by line, byte-order mark first; for a file written elsewhere than a
    download (the import command's rejected lines)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([cell(name) for name in header])
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


class TableExport(StreamingHttpResponse):
    """A CSV download that remembers its table, for the .xlsx of the same rows."""

    def __init__(self, filename: str, header: Sequence[str], rows: Iterable[Sequence]):
        self.filename, self.header, self.rows = filename, list(header), rows
        super().__init__(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
        self["Content-Disposition"] = f'attachment; filename="{filename}"'


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]):
    """A download of `header` and `rows`, streamed so a long export never sits in memory."""
    return TableExport(filename, header, rows)


def xlsx_response(filename: str, sheets) -> HttpResponse:
    """A workbook download of (sheet name, header, rows) tables."""
    from core.xlsx import workbook_bytes, xlsx_filename

    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{xlsx_filename(filename)}"'
    return response


class XlsxMiddleware:
    """`?export=<table>.xlsx`: the table the view exported as CSV, as a workbook."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, TableExport) and wants_xlsx(request):
            table = request.GET["export"][: -len(XLSX)]
            return xlsx_response(response.filename, [(table, response.header, response.rows)])
        return response
