"""The overview, the drill-down to contacts, exports and the KPI help pages."""

from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from interactions.models import Queue
from kpis import rollup
from kpis.dashboards import parse_filters
from kpis.models import Target
from tests.factories import AgentFactory, InteractionFactory, QueueFactory
from tests.test_exports import csv_rows

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 2)
QUERY = "?period=custom&start=2026-03-01&end=2026-03-03"


@pytest.fixture
def floor(team_a, team_b):
    billing, sales = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    north, south = AgentFactory(team=team_a, login="n1"), AgentFactory(team=team_b, login="s1")
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for n, (agent, queue) in enumerate([(north, billing)] * 3 + [(south, sales)] * 2):
        at = start + timedelta(minutes=n)
        InteractionFactory(agent=agent, team=agent.team, queue=queue, arrived_at=at,
                           answered_at=at + timedelta(seconds=10 * n),
                           ended_at=at + timedelta(seconds=10 * n + 200), csat=5)  # fmt: skip
    InteractionFactory(queue=billing, arrived_at=start, answered_at=None,
                       ended_at=start + timedelta(seconds=40))  # abandoned  # fmt: skip
    rollup.roll_up_days([DAY])
    Target.objects.create(kpi="service_level", value=80, warning_margin=5, valid_from=DAY)
    return {"north": north, "south": south}


def test_period_choices_and_bad_input():
    today = date(2026, 3, 11)  # a Wednesday
    get = lambda **kw: parse_filters(_params(**kw), today)  # noqa: E731
    assert (get(period="today").start, get(period="today").end) == (today, today)
    assert get(period="week").start == date(2026, 3, 9)
    assert get(period="month").start == date(2026, 3, 1)
    assert (get(period="last30").end - get(period="last30").start).days == 29
    assert get(period="custom", start="2026-02-01", end="2026-02-10").end == date(2026, 2, 10)
    wrong = get(period="custom", start="2026-02-10", end="2026-02-01")
    assert wrong.period == "last7" and wrong.errors
    assert get(period="decade").errors


def _params(**values):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query.update(values)
    return query


def test_manager_sees_tiles_charts_tables_and_target_status(client, manager, floor):
    client.force_login(manager)
    response = client.get(reverse("overview") + QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    tiles = {tile["kpi"].key: tile for tile in response.context["data"]["tiles"]}
    assert tiles["offered"]["value"] == 6
    # waits 0, 10, 20, 30, 40 s answered, one abandon after 40 s: 3 of 6 within 20 s
    assert tiles["service_level"]["value"] == pytest.approx(50)
    assert tiles["service_level"]["status"] == "red"
    assert 'data-kpi="offered"' in html and "Target 80.0 %" in html
    assert "by-queue" in html and "Billing" in html and "plotly.min.js" in html
    assert "trend-service_level" in html and "heatmap-figure" in html


def test_page_and_api_agree(client, manager, floor):
    client.force_login(manager)
    tiles = {
        t["kpi"].key: t["value"]
        for t in client.get(reverse("overview") + QUERY).context["data"]["tiles"]
    }
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get("/api/v1/kpis/?start=2026-03-01&end=2026-03-03").json()
    assert body["results"][0]["kpis"] == tiles


def test_supervisor_sees_their_teams_and_agents_are_kept_out(client, supervisor_a, agent_a, floor):
    client.force_login(supervisor_a)
    response = client.get(reverse("overview") + QUERY)
    tiles = {tile["kpi"].key: tile["value"] for tile in response.context["data"]["tiles"]}
    # A team's numbers are its agents' contacts; Team A serves no queue yet, so the
    # queue-side numbers have nothing to read: not applicable, never "offered = answered".
    assert tiles["answered"] == 3 and tiles["offered"] is None
    assert tiles["abandonment_rate"] is None
    assert [row["name"] for row in response.context["data"]["tables"]["team"]] == ["Team A"]
    # Once Team A serves Billing, the queue-side tiles are Billing's, named as such.
    supervisor_a.supervised_teams.first().queues.add(Queue.objects.get(name="Billing"))
    response = client.get(reverse("overview") + QUERY)
    tiles = {tile["kpi"].key: tile for tile in response.context["data"]["tiles"]}
    assert tiles["offered"]["value"] == 4 and tiles["offered"]["from_queues"]
    assert tiles["abandonment_rate"]["value"] == 25 and tiles["answered"]["value"] == 3
    assert response.context["data"]["queues_served"] == ["Billing"]
    client.force_login(agent_a.user)
    assert client.get(reverse("overview")).status_code == 404
    assert client.get(reverse("home")).status_code == 200


def test_overview_exports_csv(client, manager, floor):
    client.force_login(manager)
    rows = csv_rows(client.get(reverse("overview") + QUERY + "&export=series"))
    assert rows[0][:2] == ["period_start", "offered"] and len(rows) == 4
    assert rows[2][:2] == ["2026-03-02T00:00:00+00:00", "6"]
    by_queue = csv_rows(client.get(reverse("overview") + QUERY + "&export=queue"))
    assert by_queue[0][0] == "queue" and ["Billing", "4"] in [row[:2] for row in by_queue]


def test_tile_drills_down_to_its_contacts(client, manager, supervisor_a, floor):
    client.force_login(manager)
    url = reverse("contact-list") + "?start=2026-03-01&end=2026-03-03"
    assert client.get(url).context["page"].paginator.count == 6
    assert client.get(url + "&outcome=abandoned").context["page"].paginator.count == 1
    assert client.get(url + "&queue=Sales").context["page"].paginator.count == 2
    export = csv_rows(client.get(url + "&outcome=handled&export=contacts"))
    assert export[0][:2] == ["external_id", "source"] and len(export) == 6
    client.force_login(supervisor_a)
    assert client.get(url).context["page"].paginator.count == 3


def test_contact_detail_is_scoped(client, supervisor_a, floor):
    from interactions.models import Interaction

    mine = Interaction.objects.filter(agent=floor["north"]).first()
    theirs = Interaction.objects.filter(agent=floor["south"]).first()
    client.force_login(supervisor_a)
    assert client.get(reverse("contact-detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("contact-detail", args=[theirs.pk])).status_code == 404


def test_kpi_help_pages(client, manager):
    client.force_login(manager)
    html = client.get(reverse("kpi-help")).content.decode()
    assert "Service level" in html and "answered_in_sl" in html
    assert (
        "First contact resolution"
        in client.get(reverse("kpi-help-detail", args=["fcr"])).content.decode()
    )
    assert client.get(reverse("kpi-help-detail", args=["nope"])).status_code == 404


def test_names_are_escaped_on_the_overview(client, manager, floor, team_a):
    team_a.name = "<script>alert(1)</script>"
    team_a.save()
    client.force_login(manager)
    html = client.get(reverse("overview") + QUERY).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_empty_period_says_what_to_do(client, manager):
    client.force_login(manager)
    html = client.get(
        reverse("overview") + "?period=custom&start=2020-01-01&end=2020-01-02"
    ).content.decode()
    assert "No contacts in this period" in html


def test_team_page_compares_with_the_center_and_lists_its_agents(
    client, supervisor_a, team_a, team_b, floor
):
    client.force_login(supervisor_a)
    response = client.get(reverse("team-detail", args=[team_a.pk]) + QUERY)
    assert response.status_code == 200
    data = response.context["data"]
    handled = {row["kpi"].key: row for row in data["comparison"]}["handled"]
    assert (handled["team"], handled["center"]) == (3, 5)
    assert [row["login"] for row in data["agents"]] == ["n1"]
    assert client.get(reverse("team-detail", args=[team_b.pk])).status_code == 404
    leader = client.get(reverse("team-detail", args=[team_a.pk]) + QUERY + "&kpi=csat")
    assert leader.context["data"]["leader_kpi"].key == "csat"


def test_agent_page_shows_own_numbers_to_the_agent_only(
    client, agent_a, agent_b, supervisor_a, floor
):
    client.force_login(agent_a.user)
    assert client.get(reverse("agent-detail", args=[agent_a.pk]) + QUERY).status_code == 200
    assert client.get(reverse("agent-detail", args=[agent_b.pk])).status_code == 404
    client.force_login(supervisor_a)
    north = client.get(reverse("agent-detail", args=[floor["north"].pk]) + QUERY)
    assert north.context["data"]["total"]["handled"] == 3
    assert client.get(reverse("agent-detail", args=[floor["south"].pk])).status_code == 404


def test_targets_page_for_managers(client, manager, supervisor_a, floor):
    client.force_login(manager)
    response = client.get(reverse("targets") + QUERY)
    assert [row["status"] for row in response.context["rows"]] == ["red"]
    assert "Service level" in response.content.decode()
    client.force_login(supervisor_a)
    assert client.get(reverse("targets")).status_code == 404


def test_team_and_targets_tables_export_csv(client, manager, team_a, floor):
    client.force_login(manager)
    agents = csv_rows(
        client.get(reverse("team-detail", args=[team_a.pk]) + QUERY + "&export=agents")
    )
    assert agents[0][:3] == ["agent", "handled", "aht"] and agents[1][:2] == ["n1", "3"]
    targets = csv_rows(client.get(reverse("targets") + QUERY + "&export=targets"))
    assert targets[0][:2] == ["kpi", "scope"] and targets[1][:2] == ["service_level", "center"]


def test_every_table_cell_leads_to_its_contacts(client, manager, team_a, floor):
    client.force_login(manager)
    html = unescape(client.get(reverse("overview") + QUERY).content.decode())
    assert "/contacts/?start=2026-03-01&end=2026-03-03&queue=Billing&outcome=answered" in html
    team = unescape(client.get(reverse("team-detail", args=[team_a.pk]) + QUERY).content.decode())
    assert "agent=n1&team=Team+A&outcome=handled" in team
    answered = client.get(
        "/contacts/?start=2026-03-01&end=2026-03-03&queue=Billing&outcome=answered"
    )
    assert answered.context["page"].paginator.count == 3


def test_agent_names_are_escaped_on_team_and_agent_pages(client, manager, team_a, floor):
    north = floor["north"]
    north.login = "<script>x</script>"
    north.display_name = "<script>alert(2)</script>"
    north.save()
    client.force_login(manager)
    for url in (reverse("team-detail", args=[team_a.pk]), reverse("agent-detail", args=[north.pk])):
        html = client.get(url + QUERY).content.decode()
        assert "<script>alert(2)</script>" not in html and "<script>x</script>" not in html


def test_team_comparison_exports_csv(client, manager, team_a, floor):
    client.force_login(manager)
    rows = csv_rows(
        client.get(reverse("team-detail", args=[team_a.pk]) + QUERY + "&export=comparison")
    )
    assert rows[:2] == [["kpi", "channels", "Team A", "center"], ["handled", "", "3", "5"]]
    # A wait is shown per kind of channel, never blended.
    assert [row[:2] for row in rows if row[0] == "asa"] == [
        ["asa", "voice & chat"], ["asa", "e-mail, social, SMS"],
    ]  # fmt: skip
