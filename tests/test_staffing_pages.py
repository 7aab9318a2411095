"""The staffing pages: coverage (/staffing/) and the what-if (/staffing/what-if/ and its
curve): access, numbers equal to the selectors' and the engine's, totals that are the
sums of the intervals, the CSV, empty states and query counts."""

import csv
import io
import json
import re
from datetime import UTC, date, time, timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.models import AgentSkill
from core.localtime import at_local, local_today, monday_of
from forecasting.models import Forecast, QueueGroup
from scheduling.models import Shift, ShiftActivity
from staffing import erlang
from staffing.models import QueueStaffing, TeamStaffing
from tests.factories import AgentFactory, QueueFactory, SkillFactory

pytestmark = pytest.mark.django_db

# Forecast of next Monday: 09:00-10:00, 40 contacts a quarter hour at 240 s.
CLOCKS = (time(9), time(9, 15), time(9, 30), time(9, 45))


@pytest.fixture
def week():
    return monday_of(local_today()) + timedelta(days=7)


@pytest.fixture
def center(team_a, team_b, week):
    """Team A serves Billing (voice, skill "billing"), team B serves Sales. Next Monday
    Billing expects 40 contacts per quarter hour 09:00-10:00; team A has three agents
    on shift 09:00-10:00: two with the skill (one on a break 09:30-09:45), one without."""
    billing_skill = SkillFactory(name="billing")
    billing = QueueFactory(name="Billing", channel="voice", required_skill=billing_skill)
    sales = QueueFactory(name="Sales", channel="voice")
    team_a.queues.add(billing)
    team_b.queues.add(sales)
    QueueStaffing.objects.create(queue=billing, target_service_level=0.8, patience_seconds=120)
    TeamStaffing.objects.create(team=team_a, shrinkage=0.3)
    for clock in CLOCKS:
        Forecast.objects.create(queue=billing, start=at_local(week, clock).astimezone(UTC),
                                contacts=40.0, aht_seconds=240.0, method="holt_winters")  # fmt: skip
    Forecast.objects.create(queue=sales, start=at_local(week, time(9)).astimezone(UTC),
                            contacts=10.0, aht_seconds=200.0, method="holt_winters")  # fmt: skip
    start, end = at_local(week, time(9)), at_local(week, time(10))
    skilled = []
    for n in range(3):
        agent = AgentFactory(login=f"care-{n}", team=team_a)
        if n < 2:
            AgentSkill.objects.create(agent=agent, skill=billing_skill)
            skilled.append(agent)
        Shift.objects.create(agent=agent, team=team_a, start=start, end=end)
    ShiftActivity.objects.create(shift=Shift.objects.get(agent=skilled[0]), kind="break",
                                 start=at_local(week, time(9, 30)),
                                 end=at_local(week, time(9, 45)))  # fmt: skip
    return {"billing": billing, "sales": sales, "skilled": skilled}


def _coverage(client, query=""):
    return client.get(reverse("staffing-coverage") + query)


# -- access --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client):
    for name in ("staffing-coverage", "staffing-whatif"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.post(reverse("staffing-whatif-curve")).status_code == 302


def test_an_agent_is_refused(client, agent_a, center):
    client.force_login(agent_a.user)
    assert _coverage(client).status_code == 403
    assert client.get(reverse("staffing-whatif")).status_code == 403
    assert (
        client.post(
            reverse("staffing-whatif-curve"), "{}", content_type="application/json"
        ).status_code
        == 403
    )


def test_a_supervisor_sees_only_their_teams_and_queues(client, supervisor_a, center):
    QueueGroup.objects.create(name="Everything").queues.add(center["billing"], center["sales"])
    QueueGroup.objects.create(name="Billing only").queues.add(center["billing"])
    client.force_login(supervisor_a)
    response = _coverage(client)
    html = response.content.decode()
    assert response.status_code == 200 and response.context["scope"].name == "Team A"
    assert 'value="team:Team A"' in html and 'value="team:Team B"' not in html
    assert 'value="queue:Billing"' in html and 'value="queue:Sales"' not in html
    assert 'value="group:Billing only"' in html and 'value="group:Everything"' not in html
    for query in ("?scope=team:Team B", "?scope=queue:Sales", "?scope=group:Everything"):
        response = _coverage(client, query)
        assert response.context["scope"].name == "Team A"
        assert "showing team Team A" in response.content.decode()
    response = client.get(reverse("staffing-whatif") + "?queue=Sales")
    assert response.context["prefill"].queue == center["billing"]
    assert response.context["errors"] == ["No queue 'Sales' to show: showing Billing."]


def test_the_nav_links_the_page_for_managers_and_supervisors(
    client, manager, supervisor_a, agent_a
):
    link = f'href="{reverse("staffing-coverage")}"'
    for user in (manager, supervisor_a):
        client.force_login(user)
        assert link in client.get(reverse("overview")).content.decode()
    client.force_login(agent_a.user)
    assert link not in client.get(reverse("home")).content.decode()


# -- the coverage numbers ------------------------------------------------------------------


def _index(data, week, clock):
    return data["starts"].index(at_local(week, clock))


def test_coverage_counts_productive_time_of_agents_with_the_skill(client, manager, center, week):
    client.force_login(manager)
    data = _coverage(client, "?scope=team:Team A&model=erlang_a").context["data"]
    scheduled = data["columns"]["scheduled"]
    # Two skilled agents 09:00-10:00, one of them on a break 09:30-09:45; the third has
    # no Billing skill and is not counted.
    assert [scheduled[_index(data, week, clock)] for clock in CLOCKS] == [2, 2, 1, 2]
    assert scheduled.sum() == 7
    assert data["has_schedule"] and data["has_forecast"]


def test_required_heads_and_service_level_are_the_engines(client, manager, center, week):
    client.force_login(manager)
    for model in ("erlang_c", "erlang_a"):
        data = _coverage(client, f"?scope=queue:Billing&model={model}").context["data"]
        columns = data["columns"]
        needed = {
            name: int(erlang.agents_needed(name, 40.0, 240.0, 900, 0.8, 20, max_occupancy=0.85,
                                           patience_seconds=120.0 if name == "erlang_a" else None))
            for name in ("erlang_c", "erlang_a")
        }  # fmt: skip
        assert needed["erlang_c"] > needed["erlang_a"] > 2
        for clock in CLOCKS:
            k = _index(data, week, clock)
            assert columns["required_erlang_c"][k] == needed["erlang_c"]
            assert columns["required_erlang_a"][k] == needed["erlang_a"]
            assert columns["heads"][k] == erlang.scheduled(needed[model], 0.3)
            expected = erlang.evaluate(model, columns["scheduled"][k], 40.0, 240.0, 900, 20,
                                       patience_seconds=120.0 if model == "erlang_a" else None)  # fmt: skip
            assert columns["service_level"][k] == pytest.approx(float(expected.service_level))
            assert columns["gap"][k] == columns["scheduled"][k] - needed[model]
        quiet = _index(data, week, time(12))
        assert columns["required_erlang_a"][quiet] == 0 and np.isnan(
            columns["service_level"][quiet]
        )


def test_the_totals_are_the_sums_of_the_intervals_page_table_and_csv(client, manager, center, week):
    client.force_login(manager)
    response = _coverage(client, "?scope=team:Team A")
    data = response.context["data"]
    columns, totals = data["columns"], data["totals"]
    required = columns["required_erlang_a"]
    assert totals["required"] == pytest.approx(required.sum() / 4)
    assert totals["scheduled"] == pytest.approx(7 / 4)
    assert totals["heads"] == pytest.approx(columns["heads"].sum() / 4)
    assert totals["short"] == pytest.approx(
        np.clip(required - columns["scheduled"], 0, None).sum() / 4
    )
    assert totals["over"] == 0
    assert totals["required"] - totals["short"] + totals["over"] == pytest.approx(
        totals["scheduled"]
    )
    html = response.content.decode()
    shown = re.search(r'data-total="short">.*?tile-value">([0-9.]+) h', html).group(1)
    assert (
        float(shown) == pytest.approx(totals["short"], abs=0.051) and "Propose a schedule" in html
    )
    # The table shows the busy intervals; its rows add up to the totals.
    rows = data["rows"]
    assert [row["start"] for row in rows] == [at_local(week, clock) for clock in CLOCKS]
    assert sum(row["required_erlang_a"] for row in rows) / 4 == pytest.approx(totals["required"])

    export = _coverage(client, "?scope=team:Team A&export=intervals")
    assert export["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    header, body = lines[0], lines[1:]
    assert header[:5] == [
        "start",
        "contacts",
        "aht_seconds",
        "required_erlang_c",
        "required_erlang_a",
    ]
    assert len(body) == len(data["starts"]) == 7 * 96 + (len(data["starts"]) - 672)
    column = {name: n for n, name in enumerate(header)}
    assert sum(float(line[column["required_erlang_a"]]) for line in body) / 4 == pytest.approx(
        totals["required"]
    )
    assert sum(float(line[column["scheduled"]]) for line in body) / 4 == pytest.approx(
        totals["scheduled"]
    )
    nine = body[_index(data, week, time(9))]
    assert nine[0] == at_local(week, time(9)).isoformat() and float(nine[1]) == 40.0
    assert body[_index(data, week, time(3))][2] == ""  # no AHT where nothing is expected


def test_the_heatmap_and_the_charts(client, manager, center, week):
    client.force_login(manager)
    data = _coverage(client, "?scope=queue:Billing&model=erlang_c").context["data"]
    trace = data["heatmap"]["data"][0]
    assert trace["type"] == "heatmap" and trace["zmid"] == 0 and len(trace["y"]) == 7
    row, column = 0, trace["x"].index("09:30")
    required = data["columns"]["required_erlang_c"][_index(data, week, time(9, 30))]
    assert trace["z"][row][column] == 1 - required
    assert trace["customdata"][row][column][:2] == [required, 1]
    assert trace["z"][1][column] == 0  # Tuesday: nothing required, nobody scheduled
    names = [trace["name"] for trace in data["line_chart"]["data"]]
    assert names == ["Required (Erlang C)", "Required (Erlang A)",
                     "Heads to schedule (after shrinkage)", "Scheduled (productive)"]  # fmt: skip
    target = data["service_level_chart"]["data"][1]
    assert target["y"] == [80.0, 80.0]


def test_a_group_sums_its_queues_and_counts_each_agent_once(client, manager, center, week, team_b):
    sales_agent = AgentFactory(login="sales-1", team=team_b)
    Shift.objects.create(agent=sales_agent, team=team_b, start=at_local(week, time(9)),
                         end=at_local(week, time(9, 30)))  # fmt: skip
    QueueGroup.objects.create(name="Both").queues.add(center["billing"], center["sales"])
    client.force_login(manager)
    data = _coverage(client, "?scope=group:Both").context["data"]
    k = _index(data, week, time(9))
    assert data["columns"]["contacts"][k] == 50.0
    # Billing's two skilled agents and Sales' team agent (Sales needs no skill).
    assert data["columns"]["scheduled"][k] == 3
    billing = _coverage(client, "?scope=queue:Billing").context["data"]["columns"]
    sales = _coverage(client, "?scope=queue:Sales").context["data"]["columns"]
    assert data["columns"]["required_erlang_a"][k] == (
        billing["required_erlang_a"][k] + sales["required_erlang_a"][k]
    )
    shrinkage = _coverage(client, "?scope=group:Both").context["data"]["shrinkage"]
    assert [row["team"] for row in shrinkage] == ["Team A", "Team B"]


def test_the_assumptions_are_shown(client, manager, center, week):
    TeamStaffing.objects.filter(team__name="Team A").update(shrinkage=0.25)
    client.force_login(manager)
    response = _coverage(client, "?scope=team:Team A")
    data = response.context["data"]
    assert data["shrinkage"] == [{"team": "Team A", "configured": 25.0, "measured": None,
                                  "used": 25.0, "source": "configured"}]  # fmt: skip
    [billing] = data["queue_settings"]
    assert billing["patience"] == 120.0 and billing["override"] == 120.0
    assert billing["patience_source"] == "set for the queue" and billing["target"] == 80.0
    assert data["columns"]["heads"].max() == erlang.scheduled(
        data["columns"]["required_erlang_a"].max(), 0.25
    )
    html = response.content.decode()
    assert 'id="shrinkage-table"' in html and "25.0 %" in html


# -- empty states and bad input ------------------------------------------------------------


def test_a_week_without_forecast_or_shifts(client, manager, center, week):
    client.force_login(manager)
    later = week + timedelta(weeks=3)
    response = _coverage(client, f"?scope=team:Team A&week={later}")
    html = response.content.decode()
    assert 'id="no-forecast"' in html and 'id="no-schedule"' in html
    assert f'href="{reverse("forecast")}?queue=Billing&amp;week={later}"' in html
    assert "Forecast now" in html
    assert response.context["data"]["totals"]["required"] == 0
    response = _coverage(client, "?week=soon&model=erlang_x")
    assert response.context["week"] == week and response.context["model"] == "erlang_a"
    assert "should read YYYY-MM-DD" in response.content.decode()


def test_nothing_to_show(client, manager):
    client.force_login(manager)
    assert 'id="no-scope"' in _coverage(client).content.decode()


def test_a_team_view_counts_every_skilled_agent_and_shows_its_own(
    client, manager, center, week, team_b
):
    """Billing's requirement is met by whoever has its skill: an agent of team B with the
    skill counts in team A's view too (team A is not short of what B covers), and the
    team's own agents are shown beside them."""
    helper = AgentFactory(login="b-billing", team=team_b)
    AgentSkill.objects.create(agent=helper, skill=center["billing"].required_skill)
    Shift.objects.create(agent=helper, team=team_b, start=at_local(week, time(9)),
                         end=at_local(week, time(10)))  # fmt: skip
    client.force_login(manager)
    data = _coverage(client, "?scope=team:Team A").context["data"]
    team_a_only = data["totals"]["team_scheduled"]
    # Team A: two skilled agents for an hour, one of them on a 15-minute break.
    assert team_a_only == 1.75
    assert data["totals"]["scheduled"] == 2.75
    assert data["columns"]["scheduled"].sum() / 4 == 2.75
    export = _coverage(client, "?scope=team:Team A&export=intervals")
    header = next(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert header[-1] == "scheduled_of_the_team"


def test_a_team_serving_no_queue(client, supervisor_a):
    client.force_login(supervisor_a)
    html = _coverage(client).content.decode()
    assert 'id="no-queues"' in html


# -- the what-if ---------------------------------------------------------------------------


def _field(response, name):
    return next(field["value"] for field in response.context["fields"] if field["name"] == name)


def test_the_what_if_is_prefilled_from_the_forecast_and_settings(client, manager, center, week):
    TeamStaffing.objects.filter(team__name="Team A").update(shrinkage=0.35)
    client.force_login(manager)
    response = client.get(reverse("staffing-whatif") + f"?queue=Billing&date={week}&time=09:15")
    assert response.status_code == 200
    values = {name: _field(response, name) for name in
              ("contacts", "aht_seconds", "interval_seconds", "target_service_level",
               "target_answer_seconds", "patience_seconds", "max_occupancy", "shrinkage",
               "concurrency")}  # fmt: skip
    assert values == {"contacts": 40, "aht_seconds": 240, "interval_seconds": 900,
                      "target_service_level": 80, "target_answer_seconds": 20,
                      "patience_seconds": 120, "max_occupancy": 85, "shrinkage": 35,
                      "concurrency": 1}  # fmt: skip
    html = response.content.decode()
    assert 'data-api="/api/v1/staffing/calculate/"' in html and "js/whatif.js" in html
    assert 'data-scale="100"' in html
    # The whole day: 160 contacts over the hour they arrive in.
    day = client.get(reverse("staffing-whatif") + f"?queue=Billing&date={week}&time=day")
    assert _field(day, "contacts") == 160 and _field(day, "interval_seconds") == 3600
    # No time: the busiest interval (the first of equals); a bad one is said.
    busiest = client.get(reverse("staffing-whatif") + f"?queue=Billing&date={week}&time=25:00")
    assert busiest.context["prefill"].clock == "09:00"
    assert "quarter hour" in busiest.content.decode()


def _post_curve(client, body):
    return client.post(reverse("staffing-whatif-curve"), json.dumps(body),
                       content_type="application/json")  # fmt: skip


CLASSIC = {"contacts": 100, "interval_seconds": 1800, "aht_seconds": 180,
           "target_service_level": 0.8, "target_answer_seconds": 20, "patience_seconds": 120}  # fmt: skip


def test_the_curve_is_both_models_service_level_by_agents(client, manager):
    client.force_login(manager)
    response = _post_curve(client, CLASSIC)
    assert response.status_code == 200
    curve = response.json()
    assert curve["needed"]["erlang_c"] == 14  # the spec's worked example
    api = client.post(reverse("api:staffing-calculate"), {**CLASSIC, "model": "erlang_a"},
                      content_type="application/json").json()  # fmt: skip
    assert curve["needed"]["erlang_a"] == api["agents"]
    agents = curve["agents"]
    assert agents[0] <= curve["needed"]["erlang_a"] and agents[-1] >= 14
    for model in ("erlang_c", "erlang_a"):
        expected = erlang.evaluate(model, np.array(agents), 100, 180, 1800, 20,
                                   patience_seconds=120 if model == "erlang_a" else None)  # fmt: skip
        assert curve[model] == pytest.approx(expected.service_level.tolist())
    assert curve["erlang_c"][agents.index(14)] == pytest.approx(0.888, abs=5e-4)


def test_the_curve_names_a_bad_field(client, manager):
    client.force_login(manager)
    response = _post_curve(client, {**CLASSIC, "aht_seconds": -5})
    assert response.status_code == 400 and list(response.json()) == ["aht_seconds"]
    response = _post_curve(client, {**CLASSIC, "patience_seconds": "soon"})
    assert response.json() == {"patience_seconds": ["Expected a number."]}
    response = client.post(reverse("staffing-whatif-curve"), "not json",
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400


def test_the_curve_refuses_agents_and_a_cap_that_needs_too_many_quickly(client, manager):
    """The cap is checked before any search (it once ran for minutes with `agents` in
    the body, which the curve ignored): both are 400s naming the field."""
    client.force_login(manager)
    response = _post_curve(client, {**CLASSIC, "agents": 1, "max_occupancy": 1e-7})
    assert response.status_code == 400 and list(response.json()) == ["agents"]
    response = _post_curve(client, {**CLASSIC, "max_occupancy": 1e-7})
    assert response.status_code == 400 and list(response.json()) == ["max_occupancy"]
    # No target: required here, as the API's (no silent 80 %).
    response = _post_curve(
        client, {k: v for k, v in CLASSIC.items() if k != "target_service_level"}
    )
    assert response.status_code == 400 and list(response.json()) == ["target_service_level"]


@pytest.mark.parametrize("body", [[1, 2], "text", 3, None])
def test_a_curve_body_that_is_not_an_object_is_a_400(client, manager, body):
    client.force_login(manager)
    response = _post_curve(client, body)
    assert response.status_code == 400 and "JSON object" in response.json()["detail"]


@pytest.fixture
def shared(center, team_b):
    """Billing is served by Team B too, with its own shrinkage (41 %) and six agents."""
    team_b.queues.add(center["billing"])
    TeamStaffing.objects.create(team=team_b, shrinkage=0.41)
    for n in range(6):
        AgentFactory(login=f"b-{n}", team=team_b)
    return center


def test_a_supervisor_sees_no_other_teams_shrinkage(client, supervisor_a, shared, week):
    client.force_login(supervisor_a)
    for scope in ("queue:Billing", "team:Team A"):
        response = _coverage(client, f"?scope={scope}")
        assert [row["team"] for row in response.context["data"]["shrinkage"]] == ["Team A"]
        table = re.search(r'<table class="data" id="shrinkage-table">.*?</table>',
                          response.content.decode(), re.S).group(0)  # fmt: skip
        assert "Team B" not in table and "41.0" not in table
        assert response.context["data"]["hidden_teams"] == 1
        assert 'id="hidden-teams"' in response.content.decode()
    whatif = client.get(reverse("staffing-whatif") + f"?queue=Billing&date={week}")
    assert "Team B" not in whatif.content.decode()


def _csv_rows(response):
    return list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )


def test_heads_are_one_definition_in_every_view_and_the_api(client, manager, shared, week):
    """Team view, queue view, the API and the what-if: the plan shrinkage of the queue
    (Team A 30 % with its three agents, Team B 41 % with its six)."""
    client.force_login(manager)
    plan = (3 * 0.3 + 6 * 0.41) / 9
    at_nine = at_local(week, time(9)).isoformat()
    heads = {}
    for scope in ("team:Team A", "queue:Billing"):
        rows = _csv_rows(_coverage(client, f"?scope={scope}&model=erlang_a&export=intervals"))
        heads[scope] = float(
            next(r for r in rows if r["start"] == at_nine)["heads_to_schedule_erlang_a"]
        )
    api = client.get(reverse("api:staffing") + f"?queue=Billing&date={week}").json()
    row = next(row for row in api["results"] if row["start"] == at_nine)
    assert heads["team:Team A"] == heads["queue:Billing"] == row["erlang_a"]["heads"]
    assert row["erlang_a"]["heads"] == erlang.scheduled(row["erlang_a"]["agents"], plan)
    assert api["queues"][0]["shrinkage"] == pytest.approx(plan)
    whatif = client.get(reverse("staffing-whatif") + f"?queue=Billing&date={week}")
    assert _field(whatif, "shrinkage") == round(100 * plan, 4)


def test_a_what_if_time_the_clocks_skip_shows_the_busiest_interval(client, manager, settings):
    settings.TIME_ZONE = "America/New_York"
    billing = QueueFactory(name="Billing", channel="voice")
    day = date(2026, 3, 8)  # 02:00-03:00 does not exist
    Forecast.objects.create(queue=billing, start=at_local(day, time(10)), contacts=30.0,
                            aht_seconds=200.0, method="holt_winters")  # fmt: skip
    client.force_login(manager)
    response = client.get(reverse("staffing-whatif") + f"?queue=Billing&date={day}&time=02:15")
    assert response.status_code == 200
    prefill = response.context["prefill"]
    assert (prefill.mode, prefill.clock) == ("busiest", "10:00")
    assert _field(response, "contacts") == 30
    assert "has no 02:15" in response.content.decode()


def test_the_propose_link_follows_erlang_a_whichever_model_is_shown(client, manager, center, week):
    """Proposals cover Erlang A's requirement: the link shows when the week is short
    under it, in the Erlang C view too, and not when only Erlang C is short."""
    client.force_login(manager)
    shown = _coverage(client, "?scope=team:Team A&model=erlang_c")
    assert 'id="propose-link"' in shown.content.decode()
    assert "Proposals cover Erlang A" in shown.content.decode()
    # Schedule exactly Erlang A's need 09:00-10:00: Erlang C's is still short.
    need = {model: int(erlang.agents_needed(model, 40, 240, 900, 0.8, 20, max_occupancy=0.85,
                                            patience_seconds=120 if model == "erlang_a" else None))
            for model in erlang.MODELS}  # fmt: skip
    assert need["erlang_a"] < need["erlang_c"]
    Shift.objects.all().delete()
    skill = center["billing"].required_skill
    for n in range(need["erlang_a"]):
        agent = AgentFactory(login=f"exact-{n}", team=center["skilled"][0].team)
        AgentSkill.objects.create(agent=agent, skill=skill)
        Shift.objects.create(agent=agent, team=agent.team, start=at_local(week, time(9)),
                             end=at_local(week, time(10)))  # fmt: skip
    for model in erlang.MODELS:
        response = _coverage(client, f"?scope=team:Team A&model={model}")
        assert response.context["data"]["totals"]["short_erlang_a"] == 0
        assert 'id="propose-link"' not in response.content.decode()
    assert (
        _coverage(client, "?scope=team:Team A&model=erlang_c").context["data"]["totals"]["short"]
        > 0
    )


# -- query counts --------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_pages_read_a_pinned_number_of_queries(client, manager, supervisor_a, center, week):
    """Pinned: a change in these numbers is a change in what the pages read (say why)."""
    QueueGroup.objects.create(name="Both").queues.add(center["billing"], center["sales"])
    client.force_login(manager)
    counts = {
        "team": _queries(client, reverse("staffing-coverage") + "?scope=team:Team A"),
        "group": _queries(client, reverse("staffing-coverage") + "?scope=group:Both"),
        "queue": _queries(client, reverse("staffing-coverage") + "?scope=queue:Billing"),
        "whatif": _queries(client, reverse("staffing-whatif") + f"?queue=Billing&date={week}"),
    }
    # A second team with more shifts reads no more.
    more = AgentFactory(login="more", team=center["skilled"][0].team)
    Shift.objects.create(agent=more, team=more.team, start=at_local(week, time(11)),
                         end=at_local(week, time(12)))  # fmt: skip
    assert _queries(client, reverse("staffing-coverage") + "?scope=team:Team A") == counts["team"]
    assert counts == PINNED
    client.force_login(supervisor_a)
    assert _queries(client, reverse("staffing-coverage")) == PINNED["team"]


# Session and user (3), the alert and rollup banners (2); the scope's options (5: teams,
# queues, groups and two prefetches of their queues); the
# requirement (queues, their settings, targets, patience and overrides, the forecast: 7;
# plan_shrinkage, one definition of the heads in every view: the serving teams and
# their shrinkage, 5) and the agents scheduled (1; a team's own share of them: 1 more);
# the serving teams the user may see, for the shrinkage table (1). A team's view read
# its own shrinkage instead of plan_shrinkage's before (23); a group's and a queue's
# read their teams' shrinkage twice (28). The what-if: its queues and the day's
# forecast (2), the queue's settings (5), the queue's plan shrinkage (5).
PINNED = {"team": 25, "group": 24, "queue": 24, "whatif": 17}


def test_the_staffing_link_is_current_on_every_staffing_page(client, manager, center):
    client.force_login(manager)
    for name in ("staffing-coverage", "staffing-whatif", "staffing-proposals"):
        html = client.get(reverse(name)).content.decode()
        assert 'aria-current="page">Staffing</a>' in html, name
