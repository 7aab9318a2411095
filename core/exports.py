"""The one CSV writer every table export goes through.

Every page that shows a table offers the same rows as a CSV file, asked for with
`?export=<the table's id>` (`?export=roster` on the roster). Writing them here keeps the
format one thing: UTF-8 with a byte-order mark (Excel opens it with accents intact),
empty cells for missing values, ISO dates, times in the local time zone with their
offset, to the second, and text that a spreadsheet would run as a formula (a cell
starting with =, +, -, @, tab or carriage return) quoted with a leading apostrophe, so an
agent named "=HYPERLINK(...)" stays a name.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def requested(request, table: str) -> bool:
    """Whether this request asks for `table` as CSV rather than the page. GET only: a form
    posted to a URL that happens to carry ?export= still does what it posts."""
    return request.method in ("GET", "HEAD") and request.GET.get("export") == table


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


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]):
    """A download of `header` and `rows`, streamed so a long export never sits in memory."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
