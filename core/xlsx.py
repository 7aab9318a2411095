"""The same rows as a table's CSV, as an Excel workbook (openpyxl).

`?export=<table>.xlsx` asks any page for the workbook of the table `?export=<table>` gives
as CSV (`core.exports.XlsxMiddleware` turns the one into the other, so there is one
definition of each table's rows). Unlike the CSV, cells keep their types: numbers stay
numbers, dates and times are Excel dates (local time, without an offset, which Excel
cannot hold), booleans are booleans, text is always text (never run as a formula). A
column's unit comes from its header: `COLUMN_UNITS` (the KPI registry fills it with each
KPI's unit at start-up) or a name ending in `_seconds`; percentages read "85.0 %" (the
number stays 85.0, as in the CSV), seconds keep their number with "(seconds)" in the
header. One sheet per table, the header bold and frozen, columns as wide as their first
rows need.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO
from itertools import islice

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# header name -> unit ("percent", "seconds", "count", "currency", ...), filled by the apps
# that own the columns (kpis: one entry per KPI key).
COLUMN_UNITS: dict[str, str] = {}

FORMATS = {
    "percent": '0.0" %"',
    "seconds": "#,##0",
    "count": "#,##0",
    "currency": "#,##0.00",
    "per_hour": "0.0",
}
HEADER_SUFFIX = {"percent": " (%)", "seconds": " (seconds)"}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
TIME_FORMAT = "hh:mm:ss"
DURATION_FORMAT = "[h]:mm:ss"
# Rows looked at to size the columns (the sheet is streamed after them).
WIDTH_SAMPLE = 200
MAX_WIDTH = 60


def unit_of(name: str) -> str | None:
    if name in COLUMN_UNITS:
        return COLUMN_UNITS[name]
    return "seconds" if name.endswith("_seconds") else None


def excel_value(value):
    """A value as openpyxl stores it, and its number format (None for the default)."""
    if isinstance(value, bool) or value is None:
        return value, None
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(timezone.localtime(value))
        return value, DATETIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    if isinstance(value, time):
        return value.replace(tzinfo=None), TIME_FORMAT
    if isinstance(value, timedelta):
        return value, DURATION_FORMAT
    if isinstance(value, Decimal):
        return float(value), None
    if isinstance(value, int | float):
        return value, None
    return str(value), None


def _text_width(value) -> int:
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return len(f"{value:,.1f}")
    return len(str(value)) if value is not None else 0


def sheet_title(name: str, taken: set[str]) -> str:
    """An Excel-valid, unique sheet name (31 characters, none of []:*?/\\)."""
    clean = "".join("-" if char in "[]:*?/\\" else char for char in str(name))[:31] or "Sheet"
    title, number = clean, 2
    while title.lower() in taken:
        suffix = f" {number}"
        title, number = clean[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def workbook_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """A workbook with a sheet per (name, header, rows), streamed row by row."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    taken: set[str] = set()
    for name, header, rows in sheets:
        sheet = workbook.create_sheet(sheet_title(name, taken))
        units = [unit_of(str(column)) for column in header]
        rows = iter(rows)
        sample = list(islice(rows, WIDTH_SAMPLE))
        titles = [
            f"{column}{HEADER_SUFFIX.get(unit, '')}"
            for column, unit in zip(header, units, strict=True)
        ]
        for index, title in enumerate(titles, start=1):
            width = max([len(title), *(_text_width(row[index - 1]) for row in sample)])
            sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_WIDTH)
        sheet.freeze_panes = "A2"
        header_cells = []
        for title in titles:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in _chain(sample, rows):
            sheet.append(
                [_cell(sheet, value, unit) for value, unit in zip(row, units, strict=True)]
            )
    if not taken:
        workbook.create_sheet("Empty")
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def _chain(first, rest):
    yield from first
    yield from rest


def _cell(sheet, value, unit):
    """A plain value where openpyxl's defaults do (most cells: fast), a styled cell where a
    format is needed or a text would read as a formula."""
    kind = type(value)
    if kind is str:
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # "=HYPERLINK(...)" is a name, not a formula
        return cell
    if value is None or kind is bool:
        return value
    if kind in (int, float) and unit not in FORMATS:
        return value
    stored, number_format = excel_value(value)
    if isinstance(stored, str):
        return _cell(sheet, stored, unit)
    if number_format is None and isinstance(stored, int | float) and unit in FORMATS:
        number_format = FORMATS[unit]
    if number_format is None:
        return stored
    cell = WriteOnlyCell(sheet, value=stored)
    cell.number_format = number_format
    return cell


def xlsx_filename(csv_filename: str) -> str:
    stem = csv_filename[:-4] if csv_filename.endswith(".csv") else csv_filename
    return stem + ".xlsx"
