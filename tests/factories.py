"""Factories for every model, in one place."""

from datetime import UTC, datetime, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from agents.models import Agent, AgentSkill, AgentStateEvent, Skill, Team
from interactions.models import Channel, CostEntry, Interaction, Queue, Survey
from scheduling.models import Shift, ShiftActivity, TimeOff

BASE_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if extracted:
            # get_or_create: a browser test's flush also empties the groups the migration made.
            user.groups.add(Group.objects.get_or_create(name=extracted)[0])
        if create:
            user.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent

    login = factory.Sequence(lambda n: f"agent{n:04d}")
    display_name = factory.Sequence(lambda n: f"Agent {n}")
    team = factory.SubFactory(TeamFactory)
    hourly_cost = 25


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"skill{n}")


class AgentSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentSkill

    agent = factory.SubFactory(AgentFactory)
    skill = factory.SubFactory(SkillFactory)
    proficiency = 3


class AgentStateEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentStateEvent

    agent = factory.SubFactory(AgentFactory)
    state = "available"
    at = factory.Sequence(lambda n: BASE_TIME + timedelta(minutes=n))


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Queue {n}")
    channel = Channel.VOICE


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    source = "test"
    external_id = factory.Sequence(lambda n: f"c{n}")
    channel = Channel.VOICE
    queue = factory.SubFactory(QueueFactory)
    arrived_at = BASE_TIME
    answered_at = factory.LazyAttribute(lambda c: c.arrived_at + timedelta(seconds=10))
    ended_at = factory.LazyAttribute(lambda c: c.answered_at + timedelta(seconds=300))
    talk_seconds = 240
    hold_seconds = 30
    wrap_seconds = 30


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    interaction = factory.SubFactory(InteractionFactory)
    csat = 5
    nps = 9


class CostEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostEntry

    description = "Wages"
    amount = 1000
    start_date = BASE_TIME.date()
    end_date = BASE_TIME.date() + timedelta(days=30)


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    agent = factory.SubFactory(AgentFactory)
    start = BASE_TIME
    end = factory.LazyAttribute(lambda s: s.start + timedelta(hours=8))


class ShiftActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShiftActivity

    shift = factory.SubFactory(ShiftFactory)
    kind = "work"
    start = factory.LazyAttribute(lambda a: a.shift.start)
    end = factory.LazyAttribute(lambda a: a.shift.start + timedelta(hours=2))


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    agent = factory.SubFactory(AgentFactory)
    start = BASE_TIME + timedelta(days=7)
    end = factory.LazyAttribute(lambda t: t.start + timedelta(days=1))
    status = "approved"
