"""Any dashboard page as a PDF: `?export=pdf` (and `?export=all.xlsx`, every table of the
page in one workbook, a sheet each).

One builder for every page. A page's view is wrapped in `page_exports(adapter, tables)`:
the view runs as usual (its own access checks, its own filters) and returns a
`TemplateResponse`; the adapter, supplied by the app that owns the page, turns that
response's context (the same dicts the template renders) into a `Page`: title, filter
lines, KPI tiles, chart figures. The tables are the page's own CSV exports (`tables`,
the ids its `?export=<table>` links use), asked of the same view, so a PDF's table, the
CSV and the .xlsx are one definition. core imports no app: the adapter comes in from
above. Charts are drawn by core.chart_images (kaleido and the machine's Chromium); without
a Chromium the PDF says "chart not available" where the chart would be.

fpdf2 writes the file, with DejaVu Sans (any accent, "·", "–", "€") when the machine has
it, else Helvetica with the text reduced to Latin-1.
"""

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from io import BytesIO
from pathlib import Path

from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from fpdf import FPDF

from core import chart_images
from core.exports import TableExport, csv_filename, xlsx_response

PDF = "pdf"
ALL_XLSX = "all.xlsx"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# A4 landscape, millimetres.
MARGIN = 10
TILES_PER_ROW = 5
CHART_PIXELS = (900, 380)
FIRST_COLUMN = 48
COLUMN = 21
ROW_HEIGHT = 5
# A long table (a week of quarter hours) is cut here in the PDF; the .xlsx has it all.
MAX_TABLE_ROWS = 300
# fpdf2 subsets the font with fontTools, which narrates every glyph at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)


@dataclass
class Tile:
    label: str
    value: str
    change: str = ""
    target: str = ""


@dataclass
class Page:
    title: str
    lines: Sequence[str] = ()  # the filters and the period, as the page shows them
    tiles: Sequence[Tile] = ()
    charts: Sequence[tuple[str, dict]] = ()  # (title, Plotly figure dict)
    name: Sequence = ()  # the file name's parts: csv_filename(*name)
    notes: Sequence[str] = ()
    tables: list = field(default_factory=list)  # filled from the page's exports


def _wanted(request) -> str | None:
    export = request.GET.get("export") if request.method in ("GET", "HEAD") else None
    return export if export in (PDF, ALL_XLSX) else None


def _with_export(request, export: str | None):
    other = copy.copy(request)
    other.GET = request.GET.copy()
    other.GET.pop("export", None)
    if export:
        other.GET["export"] = export
    return other


def page_exports(adapter: Callable[[dict], Page], tables: Sequence[str] | Callable = ()):
    """Wrap a page view (inside its login and role checks) so `?export=pdf` gives the page as
    a PDF and `?export=all.xlsx` its tables in one workbook. `tables` is the page's export
    ids, or a function of the page's context giving them (pages whose tables vary)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            export = _wanted(request)
            if export is None:
                return view(request, *args, **kwargs)
            response = view(_with_export(request, None), *args, **kwargs)
            if not isinstance(response, TemplateResponse):
                return response  # a redirect, a 404 page: what the page itself gives
            context = response.context_data or {}
            ids = tables(context) if callable(tables) else tables
            found = []
            for table in ids:
                part = view(_with_export(request, table), *args, **kwargs)
                if isinstance(part, TableExport):
                    found.append((table, part.header, list(part.rows)))
            page = adapter(context)
            if export == ALL_XLSX:
                return xlsx_response(csv_filename(*page.name), found)
            page.tables = found
            response = HttpResponse(build(page), content_type="application/pdf")
            filename = csv_filename(*page.name)[: -len(".csv")] + ".pdf"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response

        return wrapped

    return decorator


def text(value) -> str:
    """A table cell as the PDF prints it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        return f"{value:,.1f}"
    return str(value)


class _Document(FPDF):
    def __init__(self):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, MARGIN)
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold))
            self.family, self.unicode = "Body", True
        else:
            self.family, self.unicode = "Helvetica", False

    def write_text(self, value: str) -> str:
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, grey: bool = False):
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*((90, 100, 115) if grey else (20, 30, 45)))

    def fit(self, value: str, width: float) -> str:
        value = self.write_text(value)
        if self.get_string_width(value) <= width - 1.5:
            return value
        while value and self.get_string_width(value + "…") > width - 1.5:
            value = value[:-1]
        return value + ("…" if self.unicode else "")

    def heading(self, value: str):
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(3)
        self.font(12, bold=True)
        self.cell(0, 7, self.write_text(value), new_x="LMARGIN", new_y="NEXT")


def build(page: Page) -> bytes:
    pdf = _Document()
    pdf.set_title(page.title)
    pdf.add_page()
    pdf.font(18, bold=True)
    pdf.cell(0, 10, pdf.write_text(page.title), new_x="LMARGIN", new_y="NEXT")
    pdf.font(9, grey=True)
    moment = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    for line in [*page.lines, f"Downloaded {moment}"]:
        pdf.cell(0, 5, pdf.write_text(line), new_x="LMARGIN", new_y="NEXT")
    for note in page.notes:
        pdf.multi_cell(0, 4.5, pdf.write_text(note), new_x="LMARGIN", new_y="NEXT")
    if page.tiles:
        _tiles(pdf, page.tiles)
    if page.charts:
        _charts(pdf, page.charts)
    for name, header, rows in page.tables:
        _table(pdf, name, header, rows)
    return bytes(pdf.output())


def _tiles(pdf: _Document, tiles: Sequence[Tile]):
    pdf.heading("Key figures")
    width = (pdf.w - 2 * MARGIN) / TILES_PER_ROW
    height = 22
    for start in range(0, len(tiles), TILES_PER_ROW):
        if pdf.get_y() + height > pdf.h - MARGIN:
            pdf.add_page()
        top = pdf.get_y()
        for column, tile in enumerate(tiles[start : start + TILES_PER_ROW]):
            left = MARGIN + column * width
            pdf.set_draw_color(200, 210, 222)
            pdf.rect(left + 0.5, top, width - 1, height - 1)
            pdf.set_xy(left + 2, top + 1.5)
            pdf.font(8, grey=True)
            pdf.cell(width - 4, 4, pdf.fit(tile.label, width - 4))
            pdf.set_xy(left + 2, top + 6)
            pdf.font(13, bold=True)
            pdf.cell(width - 4, 6, pdf.fit(tile.value, width - 4))
            pdf.font(7, grey=True)
            pdf.set_xy(left + 2, top + 12.5)
            pdf.cell(width - 4, 3.5, pdf.fit(tile.change, width - 4))
            pdf.set_xy(left + 2, top + 16.5)
            pdf.cell(width - 4, 3.5, pdf.fit(tile.target, width - 4))
        pdf.set_xy(MARGIN, top + height)


def _charts(pdf: _Document, charts: Sequence[tuple[str, dict]]):
    pdf.heading("Charts")
    width = (pdf.w - 2 * MARGIN - 4) / 2
    height = width * CHART_PIXELS[1] / CHART_PIXELS[0]
    for start in range(0, len(charts), 2):
        if pdf.get_y() + height + 6 > pdf.h - MARGIN:
            pdf.add_page()
        top = pdf.get_y()
        for column, (title, figure) in enumerate(charts[start : start + 2]):
            left = MARGIN + column * (width + 4)
            pdf.set_xy(left, top)
            pdf.font(9, bold=True)
            pdf.cell(width, 5, pdf.fit(title, width))
            image = chart_images.png(figure, *CHART_PIXELS) if figure else None
            if image:
                pdf.image(BytesIO(image), x=left, y=top + 5, w=width, h=height)
            else:
                pdf.set_xy(left, top + 6)
                pdf.font(8, grey=True)
                pdf.cell(width, 5, pdf.write_text(f"{title}: chart not available"))
        pdf.set_xy(MARGIN, top + height + 7)


def _table(pdf: _Document, name: str, header: Sequence[str], rows: Sequence[Sequence]):
    usable = pdf.w - 2 * MARGIN
    per_chunk = max(1, int((usable - FIRST_COLUMN) // COLUMN))
    shown = rows[:MAX_TABLE_ROWS]
    for chunk_start in range(1, max(len(header), 2), per_chunk):
        columns = [0, *range(chunk_start, min(chunk_start + per_chunk, len(header)))]
        title = name if chunk_start == 1 else f"{name} (continued)"
        pdf.heading(title)
        _table_row(pdf, [header[index] for index in columns], bold=True)
        for row in shown:
            if pdf.get_y() + ROW_HEIGHT > pdf.h - MARGIN:
                pdf.add_page()
                _table_row(pdf, [header[index] for index in columns], bold=True)
            _table_row(pdf, [text(row[index]) for index in columns])
    if not rows:
        pdf.font(8, grey=True)
        pdf.cell(0, ROW_HEIGHT, "No rows.", new_x="LMARGIN", new_y="NEXT")
    elif len(rows) > len(shown):
        pdf.font(8, grey=True)
        pdf.cell(0, ROW_HEIGHT, f"The first {len(shown)} of {len(rows)} rows; the .xlsx and "
                 "the CSV hold them all.", new_x="LMARGIN", new_y="NEXT")  # fmt: skip


def _table_row(pdf: _Document, values: Sequence[str], bold: bool = False):
    pdf.font(7, bold=bold)
    if bold:
        pdf.set_fill_color(232, 238, 245)
    for index, value in enumerate(values):
        width = FIRST_COLUMN if index == 0 else COLUMN
        align = "L" if index == 0 or bold else "R"
        pdf.cell(width, ROW_HEIGHT, pdf.fit(str(value), width), border="B", align=align, fill=bold)
    pdf.ln(ROW_HEIGHT)
