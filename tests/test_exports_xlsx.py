"""Every table's .xlsx beside its CSV: the same rows (one definition), typed cells."""

import io
from datetime import date, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.xlsx import excel_value, workbook_bytes
from tests.test_dashboard import QUERY, floor  # noqa: F401  (the fixture)
from tests.test_exports import csv_rows

pytestmark = pytest.mark.django_db
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_of(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def _same(csv_value: str, cell):
    """A CSV text and the workbook's typed cell hold the same value."""
    if cell is None:
        return csv_value == ""
    if isinstance(cell, bool):
        return csv_value == ("true" if cell else "false")
    if isinstance(cell, int | float):
        return float(csv_value) == pytest.approx(cell)
    if isinstance(cell, datetime):
        return csv_value.startswith(cell.date().isoformat())
    return csv_value == str(cell)


@pytest.mark.parametrize("table", ["series", "queue", "team"])
def test_overview_tables_as_xlsx_hold_the_csv_numbers(client, manager, floor, table):  # noqa: F811
    client.force_login(manager)
    url = reverse("overview") + QUERY
    assert f"export={table}.xlsx" in client.get(url).content.decode()
    csv = csv_rows(client.get(url + f"&export={table}"))
    response = client.get(url + f"&export={table}.xlsx")
    assert response["Content-Disposition"] == client.get(url + f"&export={table}")[
        "Content-Disposition"
    ].replace(".csv", ".xlsx")
    sheet = sheet_of(response)
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [name.split(" (")[0] for name in rows[0]] == csv[0]
    assert len(rows) == len(csv)
    for csv_row, row in zip(csv[1:], rows[1:], strict=True):
        assert all(_same(a, b) for a, b in zip(csv_row, row, strict=True)), (csv_row, row)
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    header = rows[0]
    if table != "series":
        assert "service_level (%)" in header and "aht (seconds)" in header
        column = header.index("service_level (%)") + 1
        percents = [sheet.cell(row=n, column=column) for n in range(2, sheet.max_row + 1)]
        assert all(cell.number_format == '0.0" %"' for cell in percents if cell.value is not None)
        column = header.index("aht (seconds)") + 1
        seconds = [sheet.cell(row=n, column=column).value for n in range(2, sheet.max_row + 1)]
        assert seconds and all(isinstance(value, int | float) for value in seconds)
    else:
        first = sheet.cell(row=2, column=1)
        assert isinstance(first.value, datetime) and first.number_format == "yyyy-mm-dd hh:mm:ss"
        offered = sheet.cell(row=2, column=header.index("offered") + 1).value
        assert isinstance(offered, int)


def test_team_table_xlsx_and_access(client, supervisor_a, team_b, floor):  # noqa: F811
    client.force_login(supervisor_a)
    own = reverse("team-detail", args=[supervisor_a.supervised_teams.first().pk]) + QUERY
    csv = csv_rows(client.get(own + "&export=agents"))
    sheet = sheet_of(client.get(own + "&export=agents.xlsx"))
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [row[0] for row in csv[1:]] == ["n1"]
    other = reverse("team-detail", args=[team_b.pk]) + QUERY
    assert client.get(other + "&export=agents.xlsx").status_code == 404


def test_text_is_never_a_formula_and_types_are_kept():
    data = workbook_bytes(
        [("a/b:c", ["name", "day", "handled_seconds"], [["=HYPERLINK(1)", date(2026, 3, 2), 90]])]
    )
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "a-b-c"
    assert sheet["A2"].value == "=HYPERLINK(1)" and sheet["A2"].data_type == "s"
    assert sheet["B2"].is_date and sheet["B2"].number_format == "yyyy-mm-dd"
    assert sheet["C1"].value == "handled_seconds (seconds)" and sheet["C2"].value == 90
    assert excel_value(None) == (None, None)


def test_a_post_is_not_an_export(client, manager):
    client.force_login(manager)
    response = client.post(reverse("team-list") + "?export=teams.xlsx")
    assert response.get("Content-Type") != XLSX_TYPE
