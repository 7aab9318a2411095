"""Leaderboards: one ranking rule (ties, minimum volume, nulls) on hand-made contacts,
the center's and each team's agents, team against team, scope, the page and its CSV."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from kpis import definitions, leaderboards, rollup
from kpis.selectors import SeriesRequest, kpi_series
from tests.factories import (
    AgentFactory,
    AgentStateEventFactory,
    InteractionFactory,
    QueueFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUERY = "?period=custom&start=2026-03-01&end=2026-03-03"
AHT, CSAT = definitions.BY_KEY["aht"], definitions.BY_KEY["csat"]


def row(name, value, handled=20):
    return {"name": name, "value": value, "handled": handled}


def ranks(board):
    return [(entry["name"], entry["rank"]) for entry in board.rows]


def handle(agent, count, seconds, *, csat=None):
    """`count` handled contacts of `seconds` each (talk only), so the agent's AHT is it."""
    queue = QueueFactory(name="Billing")
    for n in range(count):
        at = T0 + timedelta(minutes=n)
        InteractionFactory(agent=agent, team=agent.team, queue=queue, arrived_at=at,
                           answered_at=at + timedelta(seconds=5),
                           ended_at=at + timedelta(seconds=5 + seconds),
                           talk_seconds=seconds, hold_seconds=0, wrap_seconds=0, csat=csat)  # fmt: skip


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# -- the ranking rule ---------------------------------------------------------------------


def test_ties_share_a_rank_and_the_next_rank_skips():
    board = leaderboards.rank(
        [row("Dan", 70.0), row("Cleo", 90.0), row("ben", 80.0), row("Abe", 80.0)],
        CSAT,
        minimum=10,
    )
    assert ranks(board) == [("Cleo", 1), ("Abe", 2), ("ben", 2), ("Dan", 4)]
    assert [entry["tied"] for entry in board.ranked] == [False, True, True, False]
    assert [entry["shown"] for entry in board.ranked] == ["90.0 %", "80.0 %", "80.0 %", "70.0 %"]


def test_ties_are_values_as_displayed():
    # 95.04 % and 94.96 % both read 95.0 %: one rank. 94.94 % reads 94.9 %: the next.
    board = leaderboards.rank(
        [row("Cy", 94.96), row("Bo", 95.04), row("Al", 94.94)], CSAT, minimum=1
    )
    assert ranks(board) == [("Bo", 1), ("Cy", 1), ("Al", 3)]
    # AHT reads in whole seconds: 299.6 s and 300.4 s both read 5:00.
    aht = leaderboards.rank([row("Zed", 299.6), row("Ann", 300.4), row("Max", 301)], AHT, minimum=1)
    assert ranks(aht) == [("Ann", 1), ("Zed", 1), ("Max", 3)]


def test_lower_is_better_ranks_the_shortest_handle_time_first():
    board = leaderboards.rank([row("Slow", 420.0), row("Fast", 180.0), row("Mid", 300.0)],
                              AHT, minimum=10)  # fmt: skip
    assert ranks(board) == [("Fast", 1), ("Mid", 2), ("Slow", 3)]


def test_below_the_minimum_or_without_a_value_is_listed_after_the_ranking():
    board = leaderboards.rank(
        [row("Best", 100.0, handled=9), row("Good", 80.0, handled=10), row("None", None),
         row("Also", None, handled=3), row("Ok", 60.0)],
        CSAT,
        minimum=10,
    )  # fmt: skip
    assert ranks(board) == [("Good", 1), ("Ok", 2), ("Also", None), ("Best", None),
                            ("None", None)]  # fmt: skip
    notes = {entry["name"]: entry["note"] for entry in board.unranked}
    assert notes == {
        "Best": "not ranked (fewer than 10 handled)",
        "Also": "not ranked (fewer than 10 handled)",
        "None": "not ranked (no value)",
    }
    assert board.rows[3]["shown"] == "100.0 %"  # shown, with its value, not hidden


@pytest.mark.parametrize("key", ["occupancy", "handled", "offered"])
def test_kpis_without_a_better_direction_are_refused(key):
    with pytest.raises(ValueError, match="cannot be ranked"):
        leaderboards.rank([row("A", 50.0)], definitions.BY_KEY[key], minimum=0)
    assert leaderboards.chosen_kpi(key).key == "aht"


def test_rankable_kpis_are_agent_kpis_with_a_better_direction():
    from kpis.dashboards import AGENT_KPIS

    for key in leaderboards.RANKABLE_KPIS:
        assert key in AGENT_KPIS
        assert definitions.BY_KEY[key].direction in (definitions.HIGHER, definitions.LOWER)
    assert {"handled", "occupancy", "asa"}.isdisjoint(leaderboards.RANKABLE_KPIS)


def test_the_minimums_have_defaults_and_follow_the_settings(settings):
    assert (leaderboards.min_handled(), leaderboards.min_team_handled()) == (10, 50)
    settings.LEADERBOARD_MIN_HANDLED, settings.LEADERBOARD_MIN_TEAM_HANDLED = 3, 7
    assert (leaderboards.min_handled(), leaderboards.min_team_handled()) == (3, 7)


# -- boards on hand-made contacts ---------------------------------------------------------


@pytest.fixture
def floor(settings, team_a, team_b):
    """Team A: four ranked agents (AHT 200, 300, 300, 400 s) and one with a single contact;
    team B: two agents; team C: too few contacts to be ranked as a team."""
    settings.LEADERBOARD_MIN_HANDLED = 2
    settings.LEADERBOARD_MIN_TEAM_HANDLED = 5
    make = lambda login, name, team: AgentFactory(login=login, display_name=name, team=team)  # noqa: E731
    agents = {
        "a1": make("a1", "Ada", team_a),
        "a2": make("a2", "Zoe", team_a),
        "a3": make("a3", "Ben", team_a),
        "a4": make("a4", "Cal", team_a),
        "a5": make("a5", "Dee", team_a),
        "b1": make("b1", "Eve", team_b),
        "b2": make("b2", "Fay", team_b),
        "c1": make("c1", "Gus", TeamFactory(name="Team C")),
    }
    for login, count, seconds in [("a1", 2, 200), ("a2", 2, 300), ("a3", 3, 300),
                                  ("a4", 2, 400), ("a5", 1, 100), ("b1", 3, 250),
                                  ("b2", 3, 250), ("c1", 2, 150)]:  # fmt: skip
        handle(agents[login], count, seconds)
    rollup.roll_up_days([DAY])
    return agents


def test_center_board_ranks_agents_from_the_same_numbers_as_every_page(manager, floor):
    board = leaderboards.agent_board(manager, DAY, DAY, AHT)
    assert ranks(board) == [("Gus", 1), ("Ada", 2), ("Eve", 3), ("Fay", 3), ("Ben", 5),
                            ("Zoe", 5), ("Cal", 7), ("Dee", None)]  # fmt: skip
    dee = board.unranked[0]
    assert (dee["value"], dee["handled"]) == (100, 1)  # the best AHT, but one contact
    [ada] = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, agents=("a1",)))
    assert board.ranked[1]["value"] == ada["kpis"]["aht"] == 200
    assert board.ranked[1]["team"].name == "Team A"


@pytest.mark.parametrize("key", leaderboards.RANKABLE_KPIS)
def test_every_kpi_keeps_the_last_agent_and_the_team(manager, floor, key):
    # Hal logged in for three hours and handled nothing: listed on every board, never dropped.
    hal = AgentFactory(login="h1", display_name="Hal", team=floor["a1"].team)
    AgentStateEventFactory(agent=hal, state="available", at=T0)
    AgentStateEventFactory(agent=hal, state="offline", at=T0 + timedelta(hours=3))
    rollup.roll_up_days([DAY])
    kpi = definitions.BY_KEY[key]
    board = leaderboards.agent_board(manager, DAY, DAY, kpi)
    names = [entry["name"] for entry in board.rows]
    assert sorted(names) == ["Ada", "Ben", "Cal", "Dee", "Eve", "Fay", "Gus", "Hal", "Zoe"]
    [hal_row] = [entry for entry in board.unranked if entry["name"] == "Hal"]
    assert (hal_row["handled"], hal_row["note"]) == (0, "not ranked (fewer than 2 handled)")
    # Utilization and adherence carry no `handled` of their own; the minimum still applies.
    assert all(entry["handled"] >= 2 for entry in board.ranked)
    teams = leaderboards.team_board(manager, DAY, DAY, kpi)
    assert sorted(entry["name"] for entry in teams.rows) == ["Team A", "Team B", "Team C"]


def test_a_kpi_nobody_has_a_value_for_ranks_nobody(manager, floor):
    board = leaderboards.agent_board(manager, DAY, DAY, CSAT)  # no surveys
    assert board.ranked == [] and len(board.unranked) == 8
    assert {entry["note"] for entry in board.unranked if entry["handled"] >= 2} == {
        "not ranked (no value)"
    }


def test_team_against_team(manager, floor):
    board = leaderboards.team_board(manager, DAY, DAY, AHT)
    # A: (400 + 600 + 900 + 800 + 100) / 10 = 280 s; B: 250 s; C: 2 contacts < 5.
    assert ranks(board) == [("Team B", 1), ("Team A", 2), ("Team C", None)]
    assert [entry["value"] for entry in board.rows] == [250, 280, 150]
    assert board.unranked[0]["note"] == "not ranked (fewer than 5 handled)"
    [team_a] = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, teams=("Team A",)))
    assert board.ranked[1]["value"] == team_a["kpis"]["aht"]


def test_a_supervisor_ranks_only_their_teams(supervisor_a, floor):
    agents = leaderboards.agent_board(supervisor_a, DAY, DAY, AHT)
    assert ranks(agents) == [("Ada", 1), ("Ben", 2), ("Zoe", 2), ("Cal", 4), ("Dee", None)]
    teams = leaderboards.team_board(supervisor_a, DAY, DAY, AHT)
    assert ranks(teams) == [("Team A", 1)]


# -- the pages ----------------------------------------------------------------------------


def test_leaderboard_page_shows_ranks_rules_and_links(client, manager, floor):
    client.force_login(manager)
    response = client.get(reverse("leaderboard") + QUERY + "&kpi=aht")
    assert response.status_code == 200
    assert ranks(response.context["agents"])[:3] == [("Gus", 1), ("Ada", 2), ("Eve", 3)]
    html = response.content.decode()
    assert 'id="agent-board"' in html and 'id="team-board"' in html
    assert "at least 2 handled contacts" in html and "(1, 2, 2, 4)" in html
    assert "not ranked (fewer than 2 handled)" in html and "lower is better" in html
    assert reverse("agent-detail", args=[floor["a1"].pk]) in html
    assert reverse("team-detail", args=[floor["b1"].team.pk]) in html
    assert 'href="/leaderboard/" aria-current="page"' in html  # the navigation link


def test_page_and_csv_export_give_the_same_ranks(client, manager, floor):
    client.force_login(manager)
    page = client.get(reverse("leaderboard") + QUERY)
    agents = read_csv(client.get(reverse("leaderboard") + QUERY + "&export=agents"))
    assert [(r["agent"], r["rank"]) for r in agents] == [
        (name, str(rank) if rank else "") for name, rank in ranks(page.context["agents"])
    ]
    assert agents[0] == {"rank": "1", "agent": "Gus", "login": "c1", "team": "Team C",
                         "aht": "150.0", "handled": "2", "note": ""}  # fmt: skip
    response = client.get(reverse("leaderboard") + QUERY + "&export=teams")
    assert response["Content-Disposition"].endswith(
        'filename="leaderboard-teams-aht-2026-03-01-2026-03-03.csv"'
    )
    teams = read_csv(response)
    assert [(r["team"], r["rank"], r["note"]) for r in teams] == [
        ("Team B", "1", ""), ("Team A", "2", ""),
        ("Team C", "", "not ranked (fewer than 5 handled)"),
    ]  # fmt: skip


def test_the_page_is_for_managers_and_supervisors_only(client, supervisor_a, agent_a, floor):
    client.force_login(supervisor_a)
    response = client.get(reverse("leaderboard") + QUERY)
    assert {entry["login"] for entry in response.context["agents"].rows} == {
        "a1", "a2", "a3", "a4", "a5"
    }  # fmt: skip
    assert "Eve" not in response.content.decode() and "Your teams only" in response.content.decode()
    export = read_csv(client.get(reverse("leaderboard") + QUERY + "&export=agents"))
    assert {r["login"] for r in export} == {"a1", "a2", "a3", "a4", "a5"}
    client.force_login(agent_a.user)
    assert client.get(reverse("leaderboard")).status_code == 404
    assert client.get(reverse("leaderboard") + "?export=agents").status_code == 404
    assert reverse("leaderboard") not in client.get(reverse("home")).content.decode()


def test_an_unrankable_kpi_in_the_url_falls_back_to_handle_time(client, manager, floor):
    client.force_login(manager)
    response = client.get(reverse("leaderboard") + QUERY + "&kpi=occupancy")
    assert response.context["kpi"].key == "aht"
    team = client.get(reverse("team-detail", args=[floor["a1"].team.pk]) + QUERY + "&kpi=handled")
    assert team.context["data"]["leader_kpi"].key == "aht"


def test_team_page_ranks_its_agents_with_the_shared_rule(client, supervisor_a, floor):
    client.force_login(supervisor_a)
    url = reverse("team-detail", args=[floor["a1"].team.pk]) + QUERY
    board = client.get(url + "&kpi=aht").context["data"]["leaderboard"]
    assert ranks(board) == [("Ada", 1), ("Ben", 2), ("Zoe", 2), ("Cal", 4), ("Dee", None)]
    html = client.get(url + "&kpi=aht").content.decode()
    assert "not ranked (fewer than 2 handled)" in html and 'id="leaderboard"' in html
    assert [o.key for o in client.get(url).context["data"]["leader_kpis"]] == list(
        leaderboards.RANKABLE_KPIS
    )


def test_team_page_names_its_agents_as_the_leaderboard_does(client, supervisor_a, floor):
    client.force_login(supervisor_a)
    url = reverse("team-detail", args=[floor["a1"].team.pk]) + QUERY
    data = client.get(url).context["data"]
    assert sorted(row["name"] for row in data["agents"]) == ["Ada", "Ben", "Cal", "Dee", "Zoe"]
    html = client.get(url).content.decode()
    ada = reverse("agent-detail", args=[floor["a1"].pk])
    assert f'href="{ada}">Ada</a>' in html and f'href="{ada}">a1</a>' not in html
