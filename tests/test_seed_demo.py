"""seed_demo builds a believable center: the promised shape, real-looking figures.

The figures are computed here from the raw rows, independently of any product code.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q, Sum

from agents.models import Agent, AgentSkill, AgentStateEvent, Skill, Team
from demo import generator as demo
from forecasting import accuracy
from forecasting.models import ForecastDay, ForecastRun, QueueGroup, SpecialDay
from interactions.models import CostEntry, Interaction, Queue, Survey
from kpis.models import (
    AgentDay,
    AlertRule,
    ContactDay,
    ContactHour,
    ContactInterval,
    RollupState,
    StateInterval,
    Target,
)
from quality.models import Calibration, CoachingSession, Evaluation, Scorecard
from scheduling.models import Shift, ShiftActivity

END = date(2026, 3, 15)  # a Sunday: the four weeks run Monday 16 February to Sunday 15 March


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One demo center for the module's tests (building it takes seconds), removed after."""
    with django_db_blocker.unblock():
        call_command(
            "seed_demo", "--days", "28", "--agents", "40", "--seed", "7", "--end", str(END)
        )
    yield
    with django_db_blocker.unblock():
        Interaction.objects.all().delete()
        rollups = (ContactInterval, StateInterval, ContactDay, ContactHour, AgentDay, RollupState)
        for model in (
            *rollups,
            AgentStateEvent,
            Shift,
            CostEntry,
            Target,
            Agent,
            Team,
            Scorecard,
            ForecastRun,
            QueueGroup,
            SpecialDay,
            Queue,
            Skill,
        ):
            model.objects.all().delete()
        get_user_model().objects.all().delete()


@pytest.fixture
def seeded_db(seeded, db):
    """The module's demo center, inside the test's own transaction."""


def _voice_figures():
    voice = Interaction.objects.filter(channel="voice", direction="inbound")
    waits = [
        (answered - arrived).total_seconds()
        for arrived, answered in voice.filter(answered_at__isnull=False).values_list(
            "arrived_at", "answered_at"
        )
    ]
    abandoned = [
        (ended - arrived).total_seconds()
        for arrived, ended in voice.filter(
            answered_at__isnull=True, ended_at__isnull=False, callback_requested=False
        ).values_list("arrived_at", "ended_at")
    ]
    handled = voice.filter(answered_at__isnull=False, ended_at__isnull=False).aggregate(
        n=Count("pk"), seconds=Sum(F("talk_seconds") + F("hold_seconds") + F("wrap_seconds"))
    )
    short = sum(1 for wait in abandoned if wait < 5)
    return {
        "aht_minutes": handled["seconds"] / handled["n"] / 60,
        "abandonment": 100 * len(abandoned) / voice.count(),
        "service_level": 100
        * sum(1 for wait in waits if wait <= 20)
        / (len(waits) + len(abandoned) - short),
    }


def _occupancy():
    seconds = defaultdict(float)
    events = list(
        AgentStateEvent.objects.order_by("agent_id", "at").values_list("agent_id", "state", "at")
    )
    for (agent, state, at), (next_agent, _state, next_at) in zip(events, events[1:], strict=False):
        if agent == next_agent:
            seconds[state] += (next_at - at).total_seconds()
    busy = seconds["on_contact"] + seconds["after_contact_work"]
    return 100 * busy / (busy + seconds["available"])


def test_seed_demo_builds_the_promised_shape(seeded_db):
    queues = Queue.objects.all()
    assert queues.count() >= 5
    assert {"voice", "chat", "email", "social"} <= set(queues.values_list("channel", flat=True))
    assert Team.objects.count() >= 4
    assert not Team.objects.filter(supervisors__isnull=True).exists()
    assert Agent.objects.count() == 40
    assert not Agent.objects.filter(Q(hourly_cost__lte=0) | Q(team__isnull=True)).exists()
    assert AgentSkill.objects.values("agent").distinct().count() == 40
    assert Shift.objects.count() > 28 * 40 * 0.6
    assert set(ShiftActivity.objects.values_list("kind", flat=True)) >= {"work", "break", "lunch"}

    contacts = Interaction.objects.all()
    first, last = (
        contacts.order_by("arrived_at").first().arrived_at,
        contacts.order_by("arrived_at").last().arrived_at,
    )
    assert (first.date(), last.date()) == (date(2026, 2, 16), END)
    assert contacts.filter(direction="outbound").exists()
    assert contacts.filter(callback_requested=True).exists()
    assert contacts.filter(transferred=True).exists()
    assert Survey.objects.exists()
    assert contacts.filter(csat__isnull=False).count() > 0.1 * contacts.count()
    repeat_customers = (
        contacts.exclude(customer="").values("customer").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert repeat_customers.count() > 100
    # Every answered contact has an agent and the team it was taken in.
    assert not contacts.filter(answered_at__isnull=False, agent__isnull=True).exists()
    assert not contacts.filter(agent__isnull=False).exclude(team=F("agent__team")).exists()
    # KPIs are there at once, and targets to compare them with.
    assert ContactDay.objects.filter(day=END).exists()
    assert Target.objects.filter(scope="center").count() >= 5
    assert AlertRule.objects.filter(active=True).count() == 6  # so the demo's alerts move
    # Costs: each team's wages plus center-wide costs, for every month touched (2).
    assert CostEntry.objects.filter(team__isnull=True).count() == 2 * 2
    assert CostEntry.objects.filter(team__isnull=False).count() == 2 * Team.objects.count()


def test_seed_demo_forecasts_the_weeks_after_it_and_the_last_one(seeded_db):
    """The demo ends with the forecast the nightly task would make: six weeks from the day
    after the last demo day, for every queue, and queue groups to view it by. Its last
    week was forecast from the three weeks before it, so accuracy has days to show."""
    past, run = ForecastRun.objects.order_by("pk")
    assert (past.status, past.start, past.weeks) == ("done", END - timedelta(days=6), 1)
    assert (run.status, run.start, run.weeks) == ("done", END + timedelta(days=1), 6)
    scores = accuracy.accuracy(Queue.objects.all(), END - timedelta(days=6), END)
    assert scores and all(0 < row["day"]["wape"] < 0.5 for row in scores), scores
    days = ForecastDay.objects.filter(day__gt=END)
    assert days.values("queue").distinct().count() == Queue.objects.count()
    assert days.count() == 42 * Queue.objects.count()
    monday = days.filter(day=END + timedelta(days=1), queue__name="Billing").get()
    assert monday.lower <= monday.contacts <= monday.upper and monday.contacts > 0
    assert set(QueueGroup.objects.values_list("name", flat=True)) == {"Voice", "Digital"}


def test_seed_demo_figures_look_like_a_real_center(seeded_db):
    voice = _voice_figures()
    assert 4 <= voice["aht_minutes"] <= 7
    assert 3 <= voice["abandonment"] <= 10
    assert 70 <= voice["service_level"] <= 90
    assert 75 <= _occupancy() <= 90
    surveyed = Interaction.objects.filter(csat__isnull=False, direction="inbound")
    csat = 100 * surveyed.filter(csat__gte=4).count() / surveyed.count()
    assert 75 <= csat <= 90


def test_seed_demo_has_weekly_and_daily_seasonality(seeded_db):
    per_day = defaultdict(int)
    per_hour = defaultdict(int)
    for arrived in Interaction.objects.filter(channel="voice").values_list("arrived_at", flat=True):
        per_day[arrived.date()] += 1
        per_hour[arrived.hour] += 1
    monday, sunday = date(2026, 3, 9), date(2026, 3, 15)
    assert per_day[monday] > per_day[monday.replace(day=11)] > per_day[sunday]
    assert per_hour[10] > per_hour[12] < per_hour[14]  # morning peak, lunch dip
    assert per_hour[3] == 0  # voice lines closed at night


def test_states_agree_with_contacts(seeded_db):
    """An agent is on a contact whenever one of their contacts is being answered."""
    contact = (
        Interaction.objects.filter(ended_at__isnull=False, agent__isnull=False)
        .order_by("arrived_at")
        .first()
    )
    state = (
        AgentStateEvent.objects.filter(agent=contact.agent, at__lte=contact.answered_at)
        .order_by("-at")
        .first()
    )
    assert state.state == "on_contact"
    assert state.at == contact.answered_at


def test_demo_users_log_in_with_their_roles(seeded_db):
    expected = {"admin": None, "manager": "Manager", "supervisor": "Supervisor", "agent": "Agent"}
    for username, role in expected.items():
        user = authenticate(username=username, password=demo.DEMO_PASSWORD)
        assert user is not None, username
        assert list(user.groups.values_list("name", flat=True)) == ([role] if role else [])
    assert authenticate(username="admin", password=demo.DEMO_PASSWORD).is_superuser
    assert (
        Agent.objects.get(user__username="agent")
        .team.supervisors.filter(username="supervisor")
        .exists()
    )


def test_seed_demo_refuses_a_database_with_a_center_and_skips_with_if_empty(seeded_db, capsys):
    with pytest.raises(CommandError, match="already holds"):
        call_command("seed_demo")
    count = Interaction.objects.count()
    call_command("seed_demo", "--if-empty")
    assert Interaction.objects.count() == count
    assert "no demo added" in capsys.readouterr().out


def test_same_seed_same_center_other_seed_other_center():
    def simulated(seed):
        center = demo.DemoCenter(
            days=3, agent_count=12, seed=seed, end=END, now=datetime(2030, 1, 1, tzinfo=demo.UTC)
        )
        agents = center.plan_agents()
        contacts = center.simulate(agents)
        return contacts, [agent.state_timeline(center.cutoff) for agent in agents]

    assert simulated(3) == simulated(3)
    assert simulated(3) != simulated(4)


def test_demo_schedules_reach_the_end_of_next_week_even_on_a_monday():
    monday = datetime(2026, 11, 30, 9, tzinfo=UTC)
    center = demo.DemoCenter(days=7, agent_count=8, seed=0, end=date(2026, 11, 29), now=monday)
    assert center.schedule_until == date(2026, 12, 13)  # the Sunday of the week after
    thursday = demo.DemoCenter(days=7, agent_count=8, seed=0, end=date(2026, 12, 3),
                               now=datetime(2026, 12, 3, 9, tzinfo=UTC))  # fmt: skip
    assert thursday.schedule_until == date(2026, 12, 13)
    past = demo.DemoCenter(days=7, agent_count=8, seed=0, end=date(2026, 3, 4), now=monday)
    assert past.schedule_until == date(2026, 3, 15)  # a past demo is not planned up to today


def test_quality_demo_data(seeded_db):
    """A scorecard, three weeks of evaluations by each team's supervisor of its own agents
    (acknowledged, new and one disputed), one closed calibration of three evaluators and
    coaching with an overdue follow-up."""
    assert Scorecard.objects.get().channels == ["voice", "chat"]
    evaluations = Evaluation.objects.filter(calibration__isnull=True)
    assert evaluations.count() == 40 * 3
    assert not evaluations.exclude(agent__team__supervisors=F("evaluator")).exists()
    assert not evaluations.exclude(contact__agent=F("agent")).exists()
    statuses = set(evaluations.values_list("status", flat=True))
    assert statuses == {"submitted", "acknowledged", "disputed"}
    assert evaluations.filter(status="disputed", agent__user__username="agent").count() == 1
    calibration = Calibration.objects.get()
    assert calibration.closed_at is not None and calibration.evaluators.count() == 3
    assert calibration.evaluations.count() == 3
    overdue = CoachingSession.objects.filter(
        follow_up_on__lt=END, followed_up_at__isnull=True, agent__user__username="agent"
    )
    assert overdue.count() == 1
