"""Every dashboard page as a PDF (?export=pdf): its title, filters, tiles and tables, for
what the page itself shows the user; and its tables in one workbook (?export=all.xlsx)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from core.pdf import Page, Tile, build
from tests.test_dashboard import QUERY, floor  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_browser(settings):
    """Charts need a Chromium; these tests read text, so they go without (one test below
    draws a real chart)."""
    settings.CHROMIUM_PATH = "/nonexistent/chromium"


def pdf_text(response) -> str:
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_overview_pdf_has_title_filters_tiles_and_tables(client, manager, floor):  # noqa: F811
    client.force_login(manager)
    page = client.get(reverse("overview") + QUERY)
    assert "export=pdf" in page.content.decode()
    text = pdf_text(client.get(reverse("overview") + QUERY + "&export=pdf"))
    assert text.startswith("Overview")
    assert "Period: 1 Mar 2026 – 3 Mar 2026" in text
    tiles = {tile["kpi"].key: tile for tile in page.context["data"]["tiles"]}
    # The tiles as the page shows them: service level 50 % against its 80 % target, red.
    assert "Service level" in text and "50.0 %" in text and "Target 80.0 % · red" in text
    assert tiles["offered"]["value"] == 6 and "Offered\n6" in text
    assert "chart not available" in text  # no Chromium in this test
    # The tables, from the same rows as their CSVs.
    for table in ("queue", "channel", "team", "series"):
        assert f"\n{table}\n" in f"\n{text}\n"
    assert "Billing" in text and "Sales" in text and "Team A" in text and "Team B" in text


def test_team_pdf_is_the_supervisors_own(client, supervisor_a, team_a, team_b, floor):  # noqa: F811
    client.force_login(supervisor_a)
    url = reverse("team-detail", args=[team_a.pk]) + QUERY
    text = pdf_text(client.get(url + "&export=pdf"))
    assert text.startswith("Team Team A") and "Handled" in text and "Center" in text
    assert "n1" in text and "s1" not in text  # their agent, not team B's
    other = reverse("team-detail", args=[team_b.pk]) + QUERY
    assert client.get(other + "&export=pdf").status_code == 404
    assert client.get(other + "&export=all.xlsx").status_code == 404


def test_supervisor_overview_pdf_holds_only_their_teams(client, supervisor_a, floor):  # noqa: F811
    client.force_login(supervisor_a)
    text = pdf_text(client.get(reverse("overview") + QUERY + "&export=pdf"))
    assert "Team A" in text and "Team B" not in text


def test_agents_get_no_overview_pdf_and_only_their_own_agent_pdf(client, agent_a, floor):  # noqa: F811
    client.force_login(agent_a.user)
    assert client.get(reverse("overview") + "?export=pdf").status_code == 404
    text = pdf_text(client.get(reverse("agent-detail", args=[agent_a.pk]) + QUERY + "&export=pdf"))
    assert text.startswith("Agent Ana A") and "Handled" in text
    other = floor["north"]
    assert client.get(reverse("agent-detail", args=[other.pk]) + "?export=pdf").status_code == 404


def test_targets_leaderboard_adherence_pdfs(client, manager, team_a, floor):  # noqa: F811
    client.force_login(manager)
    text = pdf_text(client.get(reverse("targets") + QUERY + "&export=pdf"))
    assert text.startswith("Targets") and "service_level" in text and "Targets red" in text
    text = pdf_text(client.get(reverse("leaderboard") + QUERY + "&export=pdf"))
    assert text.startswith("Leaderboard") and "agents" in text and "teams" in text
    text = pdf_text(client.get(reverse("team-adherence", args=[team_a.pk]) + "?export=pdf"))
    assert text.startswith("Adherence now: Team A")


def test_all_tables_workbook_has_a_sheet_per_table(client, manager, floor):  # noqa: F811
    client.force_login(manager)
    response = client.get(reverse("overview") + QUERY + "&export=all.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["queue", "channel", "team", "series"]
    assert all(sheet.freeze_panes == "A2" for sheet in workbook.worksheets)
    queues = [row[0] for row in workbook["queue"].iter_rows(min_row=2, values_only=True)]
    assert queues == ["Billing", "Sales"]


def test_a_chart_is_drawn_when_there_is_a_chromium(settings):
    settings.CHROMIUM_PATH = "/usr/bin/chromium"
    figure = {"data": [{"type": "bar", "x": ["a", "b"], "y": [1, 2]}], "layout": {}}
    page = Page("Charted", tiles=[Tile("Offered", "6", "+1.0 pts", "Target 5 · green")],
                charts=[("Bars", figure)], tables=[("t", ["name", "n"], [["x", 1]])])  # fmt: skip
    reader = PdfReader(io.BytesIO(build(page)))
    text = reader.pages[0].extract_text()
    assert "Charted" in text and "Target 5 · green" in text and "not available" not in text
    assert len(reader.pages[0].images) == 1


def test_forecast_and_coverage_pdfs(client, manager, supervisor_a, floor):  # noqa: F811
    client.force_login(manager)
    page = client.get(reverse("forecast") + "?queue=Billing")
    assert "export=pdf" in page.content.decode()
    text = pdf_text(client.get(reverse("forecast") + "?queue=Billing&export=pdf"))
    assert text.startswith("Forecast: Billing") and "Week of" in text and "\nweek\n" in text
    text = pdf_text(client.get(reverse("staffing-coverage") + "?scope=queue:Billing&export=pdf"))
    assert text.startswith("Coverage: Billing") and "To schedule after shrinkage" in text
    assert "\nintervals\n" in text
    # A supervisor asking for another team's coverage gets what the page gives them: the
    # page's refusal and their own team, never Team B's numbers.
    client.force_login(supervisor_a)
    text = pdf_text(client.get(reverse("staffing-coverage") + "?scope=team:Team B&export=pdf"))
    assert text.startswith("Coverage") and "No team 'Team B' to show: showing team Team A" in text
    assert "intervals" not in text
