"""Every sortable table of a page sorts on its own: the overview's second and third tables
("By channel", "By team") sort by the header clicked, with no page error."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from demo import generator as demo
from kpis import rollup

pytestmark = pytest.mark.django_db(transaction=True)

# Each cell's sort key as the page's script reads it: data-value, else the text.
COLUMN_KEYS = """([table, column]) => Array.from(document.querySelectorAll(`#${table} tbody tr`))
  .map(row => { const cell = row.cells[column];
                return cell.dataset.value !== undefined ? cell.dataset.value : cell.innerText.trim(); })"""


def column_keys(page, table_id, column):
    return page.evaluate(COLUMN_KEYS, [table_id, column])


def numbers(keys):
    """Numeric keys in page order; empty cells (no value) must come last."""
    filled = [key for key in keys if key != ""]
    assert keys[: len(filled)] == filled, f"empty cells not last: {keys}"
    return [float(key) for key in filled]


def click_header(page, table_id, column):
    # The header's left edge: its right holds the KPI's help link.
    page.locator(f"#{table_id} thead th").nth(column).click(position={"x": 4, "y": 4})


@pytest.fixture
def demo_center():
    end = timezone.localdate() - timedelta(days=1)
    demo.seed_demo(days=2, agent_count=8, seed=3, end=end)
    rollup.roll_up_days([end - timedelta(days=1), end])
    return end


def test_second_and_third_tables_of_the_overview_sort(live_server, page, demo_center):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("User name").fill("manager")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Overview")
    page.wait_for_load_state("load")  # dashboard.js, after Plotly, binds the headers
    tables = page.locator("table.sortable")
    assert tables.nth(1).get_attribute("id") == "by-channel"
    assert tables.nth(2).get_attribute("id") == "by-team"

    for table_id in ("by-channel", "by-team"):
        headers = page.locator(f"#{table_id} thead th")
        # The first KPI column with distinct values (a team has no queue-side KPIs).
        offered = next(
            column
            for column in range(1, headers.count())
            if len(set(numbers(column_keys(page, table_id, column)))) > 1
        )
        before = numbers(column_keys(page, table_id, offered))

        click_header(page, table_id, offered)
        ascending = numbers(column_keys(page, table_id, offered))
        assert ascending == sorted(before)
        expect(headers.nth(offered)).to_have_attribute("data-sorted", "asc")

        click_header(page, table_id, offered)
        descending = numbers(column_keys(page, table_id, offered))
        assert descending == sorted(before, reverse=True)
        assert descending != ascending  # the rows moved

        click_header(page, table_id, 0)
        names = column_keys(page, table_id, 0)
        assert names == sorted(names, key=str.casefold)

    assert errors == []
