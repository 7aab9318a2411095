"""API v1: token and session auth, batch ingest answers, scoped reads, offline docs."""

import json

import pytest
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from interactions.models import Interaction
from tests.factories import AgentFactory, InteractionFactory, QueueFactory, UserFactory

pytestmark = pytest.mark.django_db


def record(external_id="c1", **fields):
    return {
        "external_id": external_id,
        "channel": "voice",
        "queue": "Billing",
        "arrived_at": "2026-03-02T09:00:00+00:00",
        "answered_at": "2026-03-02T09:00:12+00:00",
        "ended_at": "2026-03-02T09:04:00+00:00",
        "talk_seconds": 200,
        **fields,
    }


@pytest.fixture
def pbx():
    """A system user with the ingest permission, calling with its token."""
    user = UserFactory(username="pbx")
    user.user_permissions.add(Permission.objects.get(codename="add_interaction"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_anonymous_calls_are_refused(client):
    assert client.get("/api/v1/contacts/").status_code in (401, 403)
    assert client.post("/api/v1/contacts/", [], content_type="application/json").status_code in (
        401,
        403,
    )


def test_system_posts_one_record_with_its_token_and_its_source(pbx):
    response = pbx.post("/api/v1/contacts/", record(), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["created"] == 1 and body["results"][0]["status"] == "created"
    assert body["queues_created"] == ["Billing"]
    assert Interaction.objects.get().source == "pbx"


def test_retried_batch_updates_and_never_duplicates(pbx):
    batch = [record(str(n)) for n in range(3)]
    assert pbx.post("/api/v1/contacts/", batch, format="json").json()["created"] == 3
    again = pbx.post("/api/v1/contacts/", batch, format="json").json()
    assert (again["created"], again["updated"]) == (0, 3)
    assert Interaction.objects.count() == 3


def test_partial_batch_answers_207_and_keeps_the_good_records(pbx):
    response = pbx.post(
        "/api/v1/contacts/",
        [record("ok"), record("bad", answered_at="2026-03-02T08:00:00+00:00")],
        format="json",
    )
    assert response.status_code == 207
    results = response.json()["results"]
    assert results[1] == {
        "index": 1,
        "external_id": "bad",
        "status": "rejected",
        "errors": {"answered_at": ["Answered before it arrived."]},
    }
    assert list(Interaction.objects.values_list("external_id", flat=True)) == ["ok"]


def test_all_rejected_answers_422_with_reasons(pbx):
    response = pbx.post("/api/v1/contacts/", [record(channel="pigeon")], format="json")
    assert response.status_code == 422
    assert "channel" in response.json()["results"][0]["errors"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "text"),
    [
        ("{not json", "application/json", 400, "JSON parse error"),
        ('"a string"', "application/json", 400, "object or a list"),
        ("[]", "application/json", 400, "empty"),
        ("a=1", "application/x-www-form-urlencoded", 415, "Unsupported media type"),
    ],
)
def test_malformed_bodies_get_a_clear_error(pbx, body, content_type, status, text):
    response = pbx.generic("POST", "/api/v1/contacts/", body, content_type=content_type)
    assert response.status_code == status
    assert text in json.dumps(response.json())


def test_huge_batch_is_refused_whole(pbx):
    response = pbx.post("/api/v1/contacts/", [record(str(n)) for n in range(5001)], format="json")
    assert response.status_code == 413
    assert "5000" in response.json()["detail"]
    assert not Interaction.objects.exists()


def test_system_cannot_write_another_systems_records(pbx):
    InteractionFactory(source="crm", external_id="c1", talk_seconds=99)
    response = pbx.post("/api/v1/contacts/", record(source="crm"), format="json")
    assert response.status_code == 422
    assert Interaction.objects.get(source="crm").talk_seconds == 99


def test_admin_may_name_any_source(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    response = client.post("/api/v1/contacts/", record(source="crm"), format="json")
    assert response.status_code == 200
    assert Interaction.objects.get().source == "crm"


def test_agents_and_supervisors_cannot_send_data(agent_a, supervisor_a):
    for user in (agent_a.user, supervisor_a):
        client = APIClient()
        client.force_authenticate(user)
        assert client.post("/api/v1/contacts/", record(), format="json").status_code == 403
        assert client.post("/api/v1/agent-events/", [], format="json").status_code == 403


def test_contact_list_is_scoped_filtered_and_paginated(supervisor_a, agent_a, agent_b, manager):
    billing, sales = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    for day in (2, 3, 4):
        InteractionFactory(
            agent=agent_a,
            team=agent_a.team,
            queue=billing,
            arrived_at=f"2026-03-0{day}T10:00:00+00:00",
            answered_at=None,
            ended_at=None,
        )
    InteractionFactory(agent=agent_b, team=agent_b.team, queue=sales)
    client = APIClient()

    client.force_authenticate(supervisor_a)
    body = client.get("/api/v1/contacts/").json()
    assert body["count"] == 3
    assert {row["team"] for row in body["results"]} == {"Team A"}
    assert client.get("/api/v1/contacts/?start=2026-03-03&end=2026-03-03").json()["count"] == 1
    assert client.get("/api/v1/contacts/?queue=Sales").json()["count"] == 0

    client.force_authenticate(manager)
    assert client.get("/api/v1/contacts/").json()["count"] == 4
    assert client.get("/api/v1/contacts/?queue=Billing&queue=Sales").json()["count"] == 4
    assert client.get("/api/v1/contacts/?agent=B-1&channel=voice").json()["count"] == 1
    page = client.get("/api/v1/contacts/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]

    assert client.get("/api/v1/contacts/?start=03/02/2026").status_code == 400
    assert client.get("/api/v1/contacts/?channel=fax").status_code == 400
    assert client.get("/api/v1/contacts/?team=a%00b").status_code == 400
    assert client.get("/api/v1/contacts/?end=9999-12-31").status_code == 400

    client.force_authenticate(agent_b.user)
    assert [row["agent"] for row in client.get("/api/v1/contacts/").json()["results"]] == ["B-1"]


def test_queue_team_and_agent_lists_are_scoped(supervisor_a, team_a, agent_a, agent_b, manager):
    team_a.queues.add(QueueFactory(name="Billing"))
    QueueFactory(name="Sales")
    client = APIClient()
    client.force_authenticate(supervisor_a)
    assert [q["name"] for q in client.get("/api/v1/queues/").json()["results"]] == ["Billing"]
    assert [t["name"] for t in client.get("/api/v1/teams/").json()["results"]] == ["Team A"]
    assert [a["login"] for a in client.get("/api/v1/agents/").json()["results"]] == ["A-1"]
    assert client.get(f"/api/v1/agents/{agent_b.pk}/").status_code == 404
    client.force_authenticate(manager)
    assert client.get("/api/v1/queues/").json()["count"] == 2
    assert client.get("/api/v1/agents/").json()["count"] == 2


def test_surveys_and_agent_events_endpoints(pbx):
    pbx.post("/api/v1/contacts/", record(), format="json")
    response = pbx.post("/api/v1/surveys/", {"external_id": "c1", "csat": 5}, format="json")
    assert response.status_code == 200
    assert Interaction.objects.get().csat == 5
    AgentFactory(login="A-7")
    response = pbx.post(
        "/api/v1/agent-events/",
        [
            {"agent": "A-7", "state": "available", "at": "2026-03-02T08:00:00Z"},
            {"agent": "A-7", "state": "nap", "at": "2026-03-02T08:01:00Z"},
        ],
        format="json",
    )
    assert response.status_code == 207
    assert response.json()["results"][1]["errors"]["state"]


def test_schema_and_docs_are_served_without_internet(client, manager):
    client.force_login(manager)
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200 and b"/api/v1/contacts/" in schema.content
    docs = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs
