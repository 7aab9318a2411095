"""The state intervals' incremental rollup: bounded by the agents and days that changed and
by the time passed since the last run, and still equal to a rebuild."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from interactions import services as ingest
from kpis import rollup
from kpis.models import AgentDay, StateInterval
from kpis.rollup import rebuild
from scheduling import services as schedules
from scheduling.models import Shift, ShiftActivity
from scheduling.services import Span
from tests.factories import AgentFactory, TeamFactory
from tests.rollups import snapshot

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, tzinfo=UTC)
DAYS = [START.date() + timedelta(days=n) for n in range(-1, 5)]
TABLES = rebuild.TABLES


def equals_a_rebuild(now=None):
    incremental = snapshot()
    for model in TABLES:
        model.objects.all().delete()
    rollup.roll_up_days(DAYS, now=now)
    return snapshot() == incremental


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return START + timedelta(days=day, hours=hour, minutes=minute)


def states(*events):
    ingest.ingest_agent_events(
        [
            {"agent": login, "state": state, "at": moment.isoformat()}
            for login, moment, state in events
        ]
    )


@pytest.fixture
def agents():
    team = TeamFactory(name="T")
    return [AgentFactory(login=login, team=team) for login in ("a1", "a2")]


@pytest.fixture
def clock(monkeypatch):
    """The center's clock, for the rollup's present and for every stamp (received_at,
    history dates): runs minutes apart without waiting. Starts days after the data."""
    now = [at(6, 12)]
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    return now


@pytest.fixture
def three_days(agents, clock):
    """Both agents work 08:00-16:00 on three days, with a break at 10:00, and follow it;
    rolled up five minutes after it was stored, and changed five minutes later still."""
    for agent in agents:
        for day in range(3):
            schedules.shift_create(agent=agent, start=at(day, 8), end=at(day, 16),
                                   spans=[Span("break", at(day, 10), at(day, 10, 15))])  # fmt: skip
            states((agent.login, at(day, 8), "available"), (agent.login, at(day, 10), "break"),
                   (agent.login, at(day, 10, 20), "available"), (agent.login, at(day, 16), "offline"))  # fmt: skip
    clock[0] += timedelta(minutes=5)
    rollup.roll_up_changes()
    clock[0] += timedelta(minutes=5)
    return agents


def untouched(rows_before, condition):
    """Rows that meet `condition` are still the same rows (same ids): not re-rolled."""
    kept = {pk for pk, agent_id, start in rows_before if condition(agent_id, start)}
    return kept <= set(StateInterval.objects.values_list("pk", flat=True))


def state_rows():
    return list(StateInterval.objects.values_list("pk", "agent_id", "interval_start"))


def test_a_moved_shift_re_rolls_only_its_agent_from_where_it_was_to_where_it_is(three_days):
    a1, a2 = three_days
    before = state_rows()
    shift = Shift.objects.get(agent=a1, start=at(0, 8))
    schedules.shift_move(shift=shift, start=at(1, 17))  # to 17:00-01:00 the next day
    rollup.roll_up_changes()
    # a1's rows from where it was and to where it went only: not those between.
    assert untouched(
        before,
        lambda agent_id, start: (
            agent_id == a2.pk or at(0, 16) <= start < at(1, 17) or start >= at(2, 1)
        ),
    )
    scheduled = dict(
        AgentDay.objects.filter(agent=a1).values_list("day").annotate(Sum("scheduled_seconds"))
    )
    days = [START.date() + timedelta(days=n) for n in range(3)]
    assert [scheduled[day] for day in days] == [0, 15 * 3600, 9 * 3600]
    assert AgentDay.objects.get(agent=a2, day=days[0]).scheduled_seconds == 8 * 3600
    assert equals_a_rebuild()


def test_state_events_re_roll_only_their_agents_days(three_days):
    a1, a2 = three_days
    before = state_rows()
    states(("a1", at(1, 12), "lunch"), ("a1", at(1, 12, 30), "available"))
    rollup.roll_up_changes()
    assert untouched(before, lambda agent_id, start: agent_id == a2.pk or start < at(1, 0))
    day = AgentDay.objects.get(agent=a1, day=START.date() + timedelta(days=1))
    assert (day.break_seconds, day.adherent_seconds) == (1200 + 1800, 8 * 3600 - 300 - 1800)
    assert equals_a_rebuild()


def test_a_shift_given_to_another_agent_leaves_the_first_ones_numbers(three_days):
    a1, a2 = three_days
    a3 = AgentFactory(login="a3", team=a1.team)
    shift = Shift.objects.get(agent=a1, start=at(2, 8))
    shift.agent = a3  # as the admin can
    shift.save()
    rollup.roll_up_changes()
    day = START.date() + timedelta(days=2)
    assert AgentDay.objects.get(agent=a1, day=day).scheduled_seconds == 0
    assert AgentDay.objects.get(agent=a3, day=day).scheduled_seconds == 8 * 3600
    assert equals_a_rebuild()


def test_time_passing_rolls_states_on_from_the_last_cut(agents, clock):
    clock[0] = at(0, 9)
    schedules.shift_create(agent=agents[0], start=at(0, 8), end=at(0, 16),
                           spans=[Span("break", at(0, 10), at(0, 10, 15))])  # fmt: skip
    states(("a1", at(0, 8), "available"), ("a2", at(0, 8, 30), "available"))
    clock[0] = at(0, 9, 7)
    rollup.roll_up_changes()
    assert StateInterval.objects.filter(interval_start__gte=at(0, 9, 15)).count() == 0
    clock[0] = at(0, 9, 52)
    before = state_rows()
    rollup.roll_up_changes()
    # Only the intervals from the last cut's on were rolled again.
    assert untouched(before, lambda agent_id, start: start < at(0, 9))
    assert AgentDay.objects.get(agent=agents[0]).staffed_seconds == 112 * 60
    clock[0] = at(0, 10, 32)
    states(("a1", at(0, 10, 2), "break"), ("a1", at(0, 10, 20), "available"))
    rollup.roll_up_changes()
    day = AgentDay.objects.get(agent=agents[0])
    # Scheduled to the present (break 10:00-10:15 within it), adherent but 10:00-10:02
    # (available in a break) and 10:15-10:20 (on a break in work time).
    assert (day.scheduled_seconds, day.adherent_seconds) == (152 * 60, 145 * 60)
    assert equals_a_rebuild(now=clock[0])


def test_an_activity_starting_after_the_present_has_no_seconds_yet(agents, clock):
    clock[0] = at(0, 10, 5)
    schedules.shift_create(agent=agents[0], start=at(0, 8), end=at(0, 16),
                           spans=[Span("break", at(0, 10, 10), at(0, 10, 25))])  # fmt: skip
    rollup.roll_up_changes()
    row = StateInterval.objects.get(interval_start=at(0, 10))
    assert row.scheduled_seconds == 300  # work 10:00-10:05; the break has not begun


def test_thousands_of_changed_spans_roll_in_one_run(agents, clock):
    """A schedule published for months (a span per shift, none touching the next) is one
    small DELETE and one INSERT, not a condition per span: SQLite refuses an expression
    over 1,000 deep, and the run would fail every minute."""
    rollup.record_fill_states(clock[0])
    clock[0] += timedelta(minutes=1)
    shifts = [
        Shift(agent=agent, team=agent.team, start=at(day, 8), end=at(day, 9))
        for agent in agents
        for day in range(-600, 0)
    ]
    bulk_create_with_history(shifts, Shift)
    activities = [ShiftActivity(shift=shift, kind="work", start=shift.start, end=shift.end)
                  for shift in Shift.objects.all()]  # fmt: skip
    bulk_create_with_history(activities, ShiftActivity)
    clock[0] += timedelta(minutes=1)
    rollup.roll_up_changes()
    assert StateInterval.objects.aggregate(s=Sum("scheduled_seconds"))["s"] == 1200 * 3600
