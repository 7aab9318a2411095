"""Live numbers: contacts waiting now, agents by state, today so far; the wallboard."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agents.models import AgentStateEvent
from kpis import rollup
from kpis.live import live_numbers
from kpis.selectors import SeriesRequest, kpi_series
from tests.factories import AgentFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def floor(now, team_a, team_b):
    billing, sales = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    team_a.queues.add(billing)
    team_b.queues.add(sales)
    ana, ben = AgentFactory(team=team_a, login="ana"), AgentFactory(team=team_b, login="ben")
    wait = lambda seconds, queue: InteractionFactory(  # noqa: E731
        queue=queue, arrived_at=now - timedelta(seconds=seconds), answered_at=None, ended_at=None
    )
    wait(30, billing)
    wait(95, billing)
    wait(10, sales)
    wait(5 * 3600, billing)  # its end was lost: stale
    AgentStateEvent.objects.create(agent=ana, state="on_contact", at=now - timedelta(minutes=3))
    AgentStateEvent.objects.create(agent=ana, state="available", at=now - timedelta(minutes=9))
    AgentStateEvent.objects.create(agent=ben, state="break", at=now - timedelta(minutes=12))
    return {"billing": billing, "ana": ana}


def test_waiting_longest_wait_and_stale_contacts(manager, floor, now):
    live = live_numbers(manager, now=now)
    rows = {row["queue"]: row for row in live["queues"]}
    assert (rows["Billing"]["waiting"], rows["Billing"]["longest_wait_seconds"]) == (2, 95)
    assert (rows["Sales"]["waiting"], rows["Sales"]["longest_wait_seconds"]) == (1, 10)
    assert live["stale_contacts"] == 1


def test_agents_by_their_latest_state(manager, floor, now):
    agents = live_numbers(manager, now=now)["agents"]
    assert [(a["agent"], a["seconds_in_state"]) for a in agents["on_contact"]] == [("ana", 180)]
    assert [a["agent"] for a in agents["break"]] == ["ben"]
    assert agents["available"] == []


def test_today_so_far_agrees_with_the_rollups(manager, floor, now):
    queue = floor["billing"]
    start = now - timedelta(minutes=30)
    InteractionFactory(queue=queue, arrived_at=start, answered_at=start + timedelta(seconds=15),
                       ended_at=start + timedelta(minutes=5))  # fmt: skip
    InteractionFactory(queue=queue, arrived_at=start, answered_at=start + timedelta(seconds=25),
                       ended_at=start + timedelta(minutes=5))  # fmt: skip
    InteractionFactory(
        queue=queue, arrived_at=start, answered_at=None, ended_at=start + timedelta(seconds=3)
    )
    InteractionFactory(
        queue=queue, arrived_at=start, answered_at=None, ended_at=start + timedelta(seconds=50)
    )
    today = live_numbers(manager, now=now)["today"]
    if timezone.localdate(start) != timezone.localdate(now):
        pytest.skip("half an hour ago was yesterday")
    rollup.roll_up_days([timezone.localdate(now)])
    [rolled] = kpi_series(
        manager, SeriesRequest(start=timezone.localdate(now), end=timezone.localdate(now))
    )
    for key in ("offered", "answered", "abandoned", "service_level", "asa"):
        assert today[key] == pytest.approx(rolled["kpis"][key]), key
    assert today["service_level"] == pytest.approx(100 * 1 / (2 + 2 - 1))


def test_supervisor_sees_their_teams_queues_and_agents(supervisor_a, floor, now):
    live = live_numbers(supervisor_a, now=now)
    assert [row["queue"] for row in live["queues"]] == ["Billing"]
    assert [a["agent"] for members in live["agents"].values() for a in members] == ["ana"]


def test_live_api_shows_a_posted_contact_at_once(manager, floor):
    client = APIClient()
    client.force_authenticate(manager)
    before = {q["queue"]: q["waiting"] for q in client.get("/api/v1/live/").json()["queues"]}
    client.post("/api/v1/contacts/", {"external_id": "new", "channel": "voice", "queue": "Sales",
                                      "arrived_at": timezone.now().isoformat()}, format="json")  # fmt: skip
    after = {
        q["queue"]: q["waiting"] for q in client.get("/api/v1/live/?queue=Sales").json()["queues"]
    }
    assert after == {"Sales": before["Sales"] + 1}


def test_wallboard_page_tv_mode_and_access(client, manager, agent_a, floor):
    client.force_login(manager)
    html = client.get(reverse("wallboard")).content.decode()
    assert 'id="wallboard"' in html and "Billing" in html and 'class="topbar"' in html
    tv = client.get(reverse("wallboard") + "?tv=1").content.decode()
    assert 'class="tv"' in tv and 'class="topbar"' not in tv
    client.force_login(agent_a.user)
    assert client.get(reverse("wallboard")).status_code == 404
