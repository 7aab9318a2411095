"""The one ingest service: the rules of spec/contacts.md, whatever the path."""

import pytest

from agents.models import Agent, AgentStateEvent
from interactions import services
from interactions.models import Interaction, Queue, Survey
from tests.factories import AgentFactory, QueueFactory, TeamFactory

pytestmark = pytest.mark.django_db


def contact(**fields):
    record = {
        "external_id": "c1",
        "channel": "voice",
        "queue": "Billing",
        "arrived_at": "2026-03-02T09:00:00+01:00",
        "answered_at": "2026-03-02T09:00:15+01:00",
        "ended_at": "2026-03-02T09:05:15+01:00",
        "talk_seconds": 240,
        "hold_seconds": 20,
        "wrap_seconds": 40,
        "agent": "A-1",
        "customer": "+15550001",
    }
    record.update(fields)
    return {key: value for key, value in record.items() if value is not ...}


def ingest(*records, source="pbx", **kwargs):
    return services.ingest_contacts(list(records), default_source=source, **kwargs)


def test_new_record_is_created_and_a_resend_updates_in_place():
    report = ingest(contact(ended_at=None, answered_at=None, agent=...))
    assert report.summary()["created"] == 1
    stored = Interaction.objects.get()
    assert stored.source == "pbx" and stored.ended_at is None
    first_update = stored.updated_at

    report = ingest(contact())
    assert [r.status for r in report.results] == ["updated"]
    stored = Interaction.objects.get()
    assert stored.ended_at is not None and stored.agent.login == "A-1"
    assert stored.updated_at > first_update


def test_resend_is_the_whole_record_but_keeps_survey_answers():
    ingest(contact(transferred=True, topic="refund", csat=5, nps=9))
    ingest(contact())  # no transferred, topic or survey this time
    stored = Interaction.objects.get()
    assert stored.transferred is False and stored.topic == ""
    assert (stored.csat, stored.nps) == (5, 9)
    ingest(contact(csat=2))
    assert Interaction.objects.get().csat == 2


def test_same_key_twice_in_a_batch_stores_one_row_and_the_last_wins():
    report = ingest(contact(topic="first"), contact(topic="second"))
    assert Interaction.objects.get().topic == "second"
    # One record: the earlier one is superseded, not counted (docs/reliability.md).
    assert [r.status for r in report.results] == ["duplicate", "created"]
    assert (report.created, report.updated) == (1, 0)


def test_sending_the_same_batch_again_changes_nothing():
    batch = [contact(external_id=str(n)) for n in range(5)]
    ingest(*batch)
    before = list(
        Interaction.objects.order_by("external_id").values_list(
            "external_id", "queue_id", "agent_id", "team_id", "answered_at", "talk_seconds"
        )
    )
    report = ingest(*batch)
    assert report.summary()["updated"] == 5
    after = list(
        Interaction.objects.order_by("external_id").values_list(
            "external_id", "queue_id", "agent_id", "team_id", "answered_at", "talk_seconds"
        )
    )
    assert before == after


def test_unknown_queue_and_agent_are_created_and_reported():
    report = ingest(contact(queue="Chat VIP", channel="chat", agent="new-7"))
    queue = Queue.objects.get(name="Chat VIP")
    assert (queue.channel, queue.service_level_seconds, queue.short_abandon_seconds) == (
        "chat",
        60,
        5,
    )
    agent = Agent.objects.get(login="new-7")
    assert agent.active is False and agent.user is None
    assert report.queues_created == ["Chat VIP"] and report.agents_created == ["new-7"]
    assert ingest(contact(queue="Chat VIP", agent="new-7")).queues_created == []


def test_team_is_captured_at_ingest_and_kept_when_the_agent_moves():
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    agent = AgentFactory(login="A-1", team=north)
    ingest(contact())
    agent.team = south
    agent.save()
    ingest(contact(ended_at="2026-03-02T09:06:00+01:00"))  # the contact's end is corrected
    assert Interaction.objects.get().team == north
    ingest(contact(external_id="c2"))
    assert Interaction.objects.get(external_id="c2").team == south


def test_answered_contact_without_agent_is_kept_and_counted():
    report = ingest(contact(agent=...))
    assert report.answered_without_agent == 1
    stored = Interaction.objects.get()
    assert stored.agent is None and stored.team is None and stored.answered_at


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"arrived_at": ...}, "arrived_at", "required"),
        ({"arrived_at": "yesterday"}, "arrived_at", "ISO 8601"),
        ({"arrived_at": "2026-03-02T09:00:00"}, "arrived_at", "UTC offset"),
        ({"arrived_at": "1899-12-31T23:00:00+00:00"}, "arrived_at", "1900"),
        ({"answered_at": "2026-03-02T08:59:00+01:00"}, "answered_at", "before it arrived"),
        ({"ended_at": "2026-03-02T09:00:10+01:00"}, "ended_at", "before it was answered"),
        ({"channel": "fax"}, "channel", "one of"),
        ({"channel": ...}, "channel", "required"),
        ({"queue": ""}, "queue", "needs its queue"),
        ({"talk_seconds": -1}, "talk_seconds", "0 or more"),
        ({"talk_seconds": "NaN"}, "talk_seconds", "finite"),
        ({"talk_seconds": 1e10}, "talk_seconds", "At most"),
        ({"talk_seconds": True}, "talk_seconds", "number"),
        ({"csat": 6}, "csat", "from 1 to 5"),
        ({"nps": 2.5}, "nps", "whole number"),
        ({"transferred": "perhaps"}, "transferred", "true or false"),
        ({"topic": "x" * 256}, "topic", "At most 255"),
        ({"external_id": "x" * 129}, "external_id", "At most 128"),
        ({"colour": "red"}, "non_field_errors", "Unknown field"),
        ({"customer": "a\x00b"}, "customer", "NUL"),
        ({"agent": 42}, "agent", "Expected text"),
    ],
)
def test_bad_record_is_rejected_with_the_field_named_and_the_rest_kept(fields, field, message):
    report = ingest(contact(external_id="good"), contact(**{"external_id": "bad", **fields}))
    good, bad = report.results
    assert good.status == "created"
    assert bad.status == "rejected" and message in " ".join(bad.errors[field])
    assert list(Interaction.objects.values_list("external_id", flat=True)) == ["good"]


def test_non_object_record_is_rejected():
    report = services.ingest_contacts(["nope", 3], default_source="pbx")
    assert [r.status for r in report.results] == ["rejected", "rejected"]


def test_outbound_needs_no_queue_and_open_contacts_are_fine():
    report = ingest(
        contact(external_id="o1", direction="outbound", queue=..., answered_at=..., ended_at=...),
        contact(external_id="w1", answered_at=None, ended_at=None, agent=...),
    )
    assert report.created == 2


def test_a_client_writes_only_its_own_source():
    report = ingest(contact(source="crm"), contact(external_id="c2"), only_source="pbx")
    assert report.results[0].status == "rejected" and "source" in report.results[0].errors
    assert report.results[1].status == "created"


def test_late_survey_attaches_to_its_contact_and_marks_it_changed():
    ingest(contact())
    stamp = Interaction.objects.get().updated_at
    report = services.ingest_surveys(
        [
            {
                "external_id": "c1",
                "csat": 4,
                "comment": "fine",
                "answered_at": "2026-03-03T10:00:00Z",
            },
            {"external_id": "missing", "nps": 3},
            {"external_id": "c1", "csat": 9},
        ],
        default_source="pbx",
    )
    assert [r.status for r in report.results] == ["created", "rejected", "rejected"]
    assert "No contact" in report.results[1].errors["external_id"][0]
    stored = Interaction.objects.get()
    assert stored.csat == 4 and stored.nps is None and stored.updated_at > stamp
    assert Survey.objects.get().comment == "fine"
    services.ingest_surveys([{"external_id": "c1", "nps": 10}], default_source="pbx")
    stored.refresh_from_db()
    assert (stored.csat, stored.nps) == (4, 10)
    assert Survey.objects.count() == 1


def test_agent_events_upsert_and_unknown_agents_are_created():
    events = [
        {"agent": "A-9", "state": "available", "at": "2026-03-02T08:00:00Z"},
        {"agent": "A-9", "state": "on_contact", "at": "2026-03-02T08:05:00Z"},
        {"agent": "A-9", "state": "sleeping", "at": "2026-03-02T08:10:00Z"},
    ]
    report = services.ingest_agent_events(events)
    assert [r.status for r in report.results] == ["created", "created", "rejected"]
    assert report.agents_created == ["A-9"]
    report = services.ingest_agent_events(
        [{"agent": "A-9", "state": "break", "at": "2026-03-02T09:05:00+01:00"}]
    )
    assert report.results[0].status == "updated"
    assert list(AgentStateEvent.objects.order_by("at").values_list("state", flat=True)) == [
        "available",
        "break",
    ]


def test_queue_of_another_channel_keeps_its_own_thresholds():
    QueueFactory(name="Billing", channel="voice")
    ingest(contact(channel="chat"))
    assert Queue.objects.get(name="Billing").service_level_seconds == 20
