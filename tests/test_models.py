"""The database itself refuses contacts, schedules and people that break the contract."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from interactions.models import Channel, Queue
from tests.factories import (
    BASE_TIME,
    AgentFactory,
    AgentSkillFactory,
    AgentStateEventFactory,
    CostEntryFactory,
    InteractionFactory,
    QueueFactory,
    ShiftActivityFactory,
    ShiftFactory,
    SkillFactory,
    SurveyFactory,
    TimeOffFactory,
)

pytestmark = pytest.mark.django_db


def rejected(factory, **fields):
    """True when the database refuses the row (the ORM does no validation on create)."""
    try:
        with transaction.atomic():
            factory(**fields)
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    ("channel", "service_level", "short_abandon"),
    [("voice", 20, 5), ("chat", 60, 5), ("sms", 300, 0), ("social", 3600, 0), ("email", 86400, 0)],
)
def test_new_queue_takes_its_channels_thresholds(channel, service_level, short_abandon):
    queue = Queue.objects.create(name=f"q-{channel}", channel=channel)
    queue.refresh_from_db()
    assert (queue.service_level_seconds, queue.short_abandon_seconds) == (
        service_level,
        short_abandon,
    )


def test_queue_keeps_thresholds_the_admin_set():
    queue = Queue.objects.create(
        name="VIP", channel=Channel.VOICE, service_level_seconds=10, short_abandon_seconds=0
    )
    queue.refresh_from_db()
    assert (queue.service_level_seconds, queue.short_abandon_seconds) == (10, 0)


def test_same_source_and_external_id_is_stored_once():
    InteractionFactory(source="pbx", external_id="42")
    assert rejected(InteractionFactory, source="pbx", external_id="42")
    assert not rejected(InteractionFactory, source="crm", external_id="42")


@pytest.mark.parametrize(
    "fields",
    [
        {"answered_at": BASE_TIME - timedelta(seconds=1)},
        {"answered_at": None, "ended_at": BASE_TIME - timedelta(seconds=1)},
        {
            "answered_at": BASE_TIME + timedelta(seconds=60),
            "ended_at": BASE_TIME + timedelta(seconds=30),
        },
        {"talk_seconds": -1},
        {"hold_seconds": -0.5},
        {"wrap_seconds": 10**9 + 1},
        {"csat": 0},
        {"csat": 6},
        {"nps": 11},
        {"channel": "fax"},
        {"direction": "sideways"},
        {"queue": None},
    ],
    ids=lambda fields: ",".join(f"{key}={value}" for key, value in fields.items()),
)
def test_contact_breaking_the_contract_is_refused(fields):
    assert rejected(InteractionFactory, **fields)


def test_contact_edge_values_are_accepted():
    InteractionFactory(answered_at=BASE_TIME, ended_at=BASE_TIME, talk_seconds=0, csat=1, nps=0)
    InteractionFactory(csat=5, nps=10, wrap_seconds=10**9)
    InteractionFactory(answered_at=None, ended_at=None)  # still open
    InteractionFactory(direction="outbound", queue=None)


def test_survey_needs_an_answer_in_range():
    assert rejected(SurveyFactory, csat=None, nps=None)
    assert rejected(SurveyFactory, csat=7)
    assert rejected(SurveyFactory, nps=-1)
    assert not rejected(SurveyFactory, csat=None, nps=3)


def test_one_survey_per_contact():
    contact = InteractionFactory()
    SurveyFactory(interaction=contact)
    assert rejected(SurveyFactory, interaction=contact)


def test_agent_rules():
    AgentFactory(login="x1")
    assert rejected(AgentFactory, login="x1")
    assert rejected(AgentFactory, hourly_cost=-1)


def test_agent_skill_proficiency_is_one_to_five_and_unique():
    agent, skill = AgentFactory(), SkillFactory(name="billing")
    assert rejected(AgentSkillFactory, agent=agent, skill=skill, proficiency=0)
    assert rejected(AgentSkillFactory, agent=agent, skill=skill, proficiency=6)
    AgentSkillFactory(agent=agent, skill=skill, proficiency=5)
    assert rejected(AgentSkillFactory, agent=agent, skill=skill, proficiency=4)


def test_agent_state_events_are_unique_per_instant_and_known():
    agent = AgentFactory()
    AgentStateEventFactory(agent=agent, at=BASE_TIME)
    assert rejected(AgentStateEventFactory, agent=agent, at=BASE_TIME, state="break")
    assert rejected(AgentStateEventFactory, agent=agent, state="asleep")


def test_schedules_end_after_they_start():
    assert rejected(ShiftFactory, end=BASE_TIME)
    assert rejected(ShiftActivityFactory, end=BASE_TIME - timedelta(minutes=1), start=BASE_TIME)
    assert rejected(ShiftActivityFactory, kind="nap")
    assert rejected(TimeOffFactory, end=BASE_TIME, start=BASE_TIME)
    assert rejected(TimeOffFactory, status="maybe")


def test_cost_entries_are_non_negative_and_in_order():
    assert rejected(CostEntryFactory, amount=-5)
    assert rejected(
        CostEntryFactory, start_date=BASE_TIME.date(), end_date=BASE_TIME.date() - timedelta(days=1)
    )
    one_day = CostEntryFactory(start_date=BASE_TIME.date(), end_date=BASE_TIME.date())
    assert one_day.scope_label == "Whole center"


def test_deleting_a_queue_with_contacts_is_refused():
    queue = QueueFactory()
    InteractionFactory(queue=queue)
    with pytest.raises(IntegrityError):  # ProtectedError is an IntegrityError
        queue.delete()
