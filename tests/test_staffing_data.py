"""Staffing's numbers from the center's own data: the abandoned contacts' waits in the
rollups, patience, shrinkage measured from the schedules, the settings in force, the
agents scheduled per interval and the requirement (staffing.selectors)."""

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest

from core.localtime import at_local, local_days
from forecasting.history import interval_grid
from forecasting.models import Forecast
from interactions.models import Direction, Interaction
from kpis import rerolls, rollup
from kpis.models import ContactDay, RollupJob, RollupState, Target
from kpis.rollup.statements import contact_components_between
from staffing import erlang, selectors
from staffing.models import QueueStaffing, TeamStaffing
from tests.factories import (
    AgentFactory,
    AgentSkillFactory,
    AgentStateEventFactory,
    InteractionFactory,
    QueueFactory,
    ShiftActivityFactory,
    ShiftFactory,
    SkillFactory,
    TeamFactory,
    TimeOffFactory,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def contact(queue, wait, *, answered=True, ended=True, at=T0, **fields):
    """An inbound contact of `queue` that waited `wait` seconds, answered or not."""
    answered_at = at + timedelta(seconds=wait) if answered and wait is not None else None
    ended_at = None
    if ended:
        ended_at = (answered_at or at + timedelta(seconds=wait or 0)) + timedelta(
            seconds=200 if answered_at else 0
        )
    return InteractionFactory(
        queue=queue, arrived_at=at, answered_at=answered_at, ended_at=ended_at, **fields
    )


@pytest.fixture
def waits():
    """Two queues over two days: answered, abandoned (a short one too), callbacks, still
    waiting, outbound; only the abandoned inbound ones count in wait_abandoned_sum."""
    sales, care = QueueFactory(name="Sales"), QueueFactory(name="Care")
    for day, queue in ((0, sales), (1, sales), (0, care)):
        at = T0 + timedelta(days=day)
        contact(queue, 12, at=at)
        contact(queue, 40, at=at + timedelta(minutes=20))
        contact(queue, 75, answered=False, at=at)  # abandoned after 75 s
        contact(queue, 2, answered=False, at=at + timedelta(minutes=31))  # a short abandon
        contact(queue, 300, answered=False, callback_requested=True, at=at)  # callback
        contact(queue, None, answered=False, ended=False, at=at)  # still waiting
        contact(queue, 90, answered=False, direction=Direction.OUTBOUND, at=at)
    contact(care, 33.5, answered=False, at=T0 + timedelta(hours=3))
    return sales, care


def abandoned_waits_from_raw(queue) -> float:
    """The abandoned contacts' waits, read straight from the raw rows in Python."""
    return sum(
        (c.ended_at - c.arrived_at).total_seconds()
        for c in Interaction.objects.filter(queue=queue)
        if c.direction == Direction.INBOUND
        and c.answered_at is None
        and c.ended_at is not None
        and not c.callback_requested
    )


def test_wait_abandoned_sum_is_the_abandoned_contacts_waits(waits):
    sales, care = waits
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    for queue, expected in ((sales, 2 * (75 + 2)), (care, 75 + 2 + 33.5)):
        stored = sum(
            ContactDay.objects.filter(queue=queue).values_list("wait_abandoned_sum", flat=True)
        )
        assert stored == pytest.approx(abandoned_waits_from_raw(queue)) == pytest.approx(expected)
    # The live sums (the wallboard's) read it with the same rule.
    live = contact_components_between(T0 - timedelta(hours=9), T0 + timedelta(days=2), [care.pk])
    assert live["wait_abandoned_sum"] == pytest.approx(75 + 2 + 33.5)
    assert live["abandoned"] == 3


def test_rollups_stored_before_the_component_are_re_rolled_once(
    waits, django_capture_on_commit_callbacks
):
    """An upgraded database: days rolled before wait_abandoned_sum existed (its column 0,
    no components recorded) are re-rolled once by the minute's settings check."""
    sales, _ = waits
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    rerolls.record_settings()
    assert rerolls.check_settings() is None  # recorded as running: nothing to do
    ContactDay.objects.update(wait_abandoned_sum=0)
    RollupState.objects.update(components="")  # as the migration leaves an old database

    with django_capture_on_commit_callbacks():
        job = rerolls.check_settings()
    assert job.reason == "the rollups' components or tables changed"
    assert rerolls.run_job(job.pk) == "done"
    stored = sum(
        ContactDay.objects.filter(queue=sales).values_list("wait_abandoned_sum", flat=True)
    )
    assert stored == pytest.approx(abandoned_waits_from_raw(sales))
    assert RollupState.objects.get().components == rerolls.components_fingerprint()
    assert rerolls.check_settings() is None and RollupJob.objects.count() == 1


# Patience ------------------------------------------------------------------------------


def test_patience_is_all_waiting_over_the_abandoned_and_the_override_wins(waits):
    sales, care = waits
    quiet = QueueFactory(name="Quiet")
    contact(quiet, 30)  # answered: waiting, but nobody gave up
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    QueueStaffing.objects.create(queue=care, patience_seconds=120)

    found = selectors.patience([sales, care, quiet], DAY, DAY + timedelta(days=1))
    # Sales: answered waits 2 x (12 + 40), abandoned 2 x (75 + 2); four gave up.
    assert found[sales.pk].estimated_seconds == pytest.approx((2 * 52 + 2 * 77) / 4)
    assert found[sales.pk].seconds == found[sales.pk].estimated_seconds
    assert found[sales.pk].override_seconds is None and found[sales.pk].abandoned == 4
    assert found[care.pk].estimated_seconds == pytest.approx((52 + 77 + 33.5) / 3)
    assert found[care.pk].seconds == 120 and found[care.pk].override_seconds == 120
    assert found[quiet.pk].estimated_seconds is None
    assert (found[quiet.pk].seconds, found[quiet.pk].source) == (
        selectors.FALLBACK_PATIENCE_SECONDS,
        "fallback",
    )
    assert (found[sales.pk].source, found[care.pk].source) == ("estimated", "override")
    # Only the days asked for: the second day has Sales alone.
    second = selectors.patience([sales, care], DAY + timedelta(days=1), DAY + timedelta(days=1))
    assert second[sales.pk].estimated_seconds == pytest.approx((52 + 77) / 2)
    assert second[care.pk].estimated_seconds is None


# Settings ------------------------------------------------------------------------------


def test_queue_settings_resolve_target_patience_and_channel(waits):
    sales, care = waits
    chat = QueueFactory(name="Chat", channel="chat")
    mail = QueueFactory(name="Mail", channel="email")
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    later = DAY + timedelta(days=7)
    Target.objects.create(kpi="service_level", scope="center", value=75, valid_from=DAY)
    Target.objects.create(kpi="service_level", scope="queue", queue=care, value=90, valid_from=DAY)
    Target.objects.create(  # not in force yet on the day planned
        kpi="service_level", scope="queue", queue=chat, value=60, valid_from=later + timedelta(1)
    )
    QueueStaffing.objects.create(queue=sales, target_service_level=0.85, max_occupancy=0.9)
    QueueStaffing.objects.create(queue=chat, concurrency=2, patience_seconds=200)

    # Patience as of a week after the history (the 8 weeks before today's).
    found = selectors.queue_settings([sales, care, chat, mail], later, today=later)
    assert (found[sales.pk].target_service_level, found[sales.pk].target_source) == (
        0.85,
        "setting",
    )
    assert (found[care.pk].target_service_level, found[care.pk].target_source) == (
        0.9,
        "queue target",
    )
    assert (found[chat.pk].target_service_level, found[chat.pk].target_source) == (
        0.75,
        "center target",
    )
    assert found[sales.pk].max_occupancy == 0.9 and found[care.pk].max_occupancy == 0.85
    assert (found[chat.pk].concurrency, found[sales.pk].concurrency) == (2, 1)
    assert found[sales.pk].answer_seconds == 20 and found[mail.pk].answer_seconds == 86_400
    assert [found[q.pk].real_time for q in (sales, care, chat, mail)] == [True, True, True, False]
    # Patience: estimated from the 8 weeks before today, the override, or the fallback.
    assert found[sales.pk].patience_source == "estimated"
    assert found[sales.pk].patience_seconds == pytest.approx((2 * 52 + 2 * 77) / 4)
    assert (found[chat.pk].patience_seconds, found[chat.pk].patience_source) == (200, "override")
    assert found[mail.pk].patience_source == "fallback"
    assert found[mail.pk].patience_seconds == selectors.FALLBACK_PATIENCE_SECONDS
    # Not the weeks before the day planned for: a day planned in the history's week
    # has the same patience.
    earlier = selectors.queue_settings([sales], DAY, today=later)[sales.pk]
    assert earlier.patience_seconds == found[sales.pk].patience_seconds
    # Nothing set anywhere: 0.8.
    Target.objects.all().delete()
    assert selectors.queue_settings([care], later)[care.pk].target_service_level == 0.8


# Scheduled agents ----------------------------------------------------------------------


def productive_minutes(first_day, days, shifts, offs):
    """Independently, minute by minute: each eligible agent's productive minutes per
    15-minute interval of the grid (on shift, not in a break, lunch, meeting or
    training, not on approved time off), summed and divided by 15."""
    begin, end = local_days(first_day, days)
    minutes = int((end - begin).total_seconds() // 60)
    on = np.zeros(minutes)
    for shift in shifts:
        agent_off = [o for o in offs if o.agent_id == shift.agent_id]
        for m in range(minutes):
            moment = begin + timedelta(minutes=m)
            if not shift.start <= moment < shift.end:
                continue
            if any(a.start <= moment < a.end and a.kind != "work" for a in shift.activities.all()):
                continue
            if any(o.start <= moment < o.end for o in agent_off):
                continue
            on[m] += 1
    return on.reshape(-1, 15).sum(axis=1) / 15


@pytest.fixture
def skilled_schedule():
    """Queue Sales needs skill "sales". Team North: Ana (skill) works 09:00-17:00 with a
    break, lunch and a meeting at odd minutes; Bo (no skill) works too; Cy (skill) has
    an hour of approved time off on a shift, a break inside it. Team South: Di (skill)."""
    sales = QueueFactory(name="Sales", required_skill=SkillFactory(name="sales"))
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    ana, bo = AgentFactory(team=north), AgentFactory(team=north)
    cy, di = AgentFactory(team=north), AgentFactory(team=south)
    for agent in (ana, cy, di):
        AgentSkillFactory(agent=agent, skill=sales.required_skill)
    AgentSkillFactory(agent=ana, skill=SkillFactory(name="care"))  # two skills: counted once

    def shift(agent, start, end):
        return ShiftFactory(agent=agent, start=at_local(DAY, start), end=at_local(DAY, end))

    first = shift(ana, time(9), time(17))
    for kind, start, end in (("break", time(10), time(10, 15)), ("lunch", time(12), time(12, 40)),
                             ("meeting", time(15, 5), time(15, 20)), ("work", time(9), time(10))):  # fmt: skip
        ShiftActivityFactory(
            shift=first, kind=kind, start=at_local(DAY, start), end=at_local(DAY, end)
        )
    shift(bo, time(9), time(17))
    third = shift(cy, time(8, 7), time(14))
    ShiftActivityFactory(
        shift=third,
        kind="break",
        start=at_local(DAY, time(13, 30)),
        end=at_local(DAY, time(13, 45)),
    )
    off = TimeOffFactory(agent=cy, start=at_local(DAY, time(13)), end=at_local(DAY, time(14)))
    shift(di, time(22), time(23, 59))
    return {"sales": sales, "north": north, "shifts": [first, third], "di": di, "off": off}


def test_scheduled_agents_count_productive_time_of_agents_with_the_skill(skilled_schedule):
    sales = skilled_schedule["sales"]
    shifts = skilled_schedule["shifts"]
    di_shift = skilled_schedule["di"].shifts.get()
    got = selectors.scheduled_agents([sales], DAY, 1)
    expected = productive_minutes(DAY, 1, [*shifts, di_shift], [skilled_schedule["off"]])
    assert got.shape == (96,)
    np.testing.assert_allclose(got, expected, atol=1e-9)
    # Spot checks: 09:00 Ana and Cy; 10:00 Ana on break; 15:00 Ana in a meeting 15:05-15:20.
    assert got[36] == 2 and got[40] == 1 and got[60] == pytest.approx(1 - 10 / 15)
    assert got[32] == pytest.approx(8 / 15)  # Cy from 08:07
    assert got[52] == 1 and got[54] == 1  # 13:00 and 13:30: Cy off, Ana on (break once)
    # Only the shifts of one team.
    north = selectors.scheduled_agents([sales], DAY, 1, team=skilled_schedule["north"])
    np.testing.assert_allclose(north, productive_minutes(DAY, 1, shifts, [skilled_schedule["off"]]))


def test_a_queue_without_a_skill_counts_the_teams_serving_it(skilled_schedule):
    care = QueueFactory(name="Care")
    skilled_schedule["north"].queues.add(care)
    got = selectors.scheduled_agents([care], DAY, 1)
    north_shifts = list(skilled_schedule["north"].shifts.all())  # Ana, Bo and Cy
    expected = productive_minutes(DAY, 1, north_shifts, [skilled_schedule["off"]])
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert got[36] == 3  # Ana, Bo and Cy at 09:00; Di's team does not serve Care


@pytest.mark.parametrize(("day", "count"), [(date(2026, 3, 8), 92), (date(2026, 11, 1), 100)])
def test_scheduled_agents_follow_every_local_interval_of_a_dst_day(settings, day, count):
    settings.TIME_ZONE = "America/New_York"
    queue = QueueFactory(name="Night", required_skill=SkillFactory(name="night"))
    agent = AgentFactory()
    AgentSkillFactory(agent=agent, skill=queue.required_skill)
    # 00:00 to 06:00 local: five or seven hours of real time.
    shift = ShiftFactory(agent=agent, start=at_local(day, time(0)), end=at_local(day, time(6)))
    got = selectors.scheduled_agents([queue], day, 1)
    starts, _, slots = interval_grid(day, 1)
    assert len(got) == len(starts) == count
    # Real seconds (two aware datetimes of one zone subtract as wall clocks).
    assert got.sum() * 900 == shift.end.timestamp() - shift.start.timestamp()
    assert got[slots == 6 * 4].tolist() == [0.0] and got[slots < 6 * 4].min() == 1


# Shrinkage -----------------------------------------------------------------------------


def test_shrinkage_measured_from_the_schedules(settings):
    """A week of Team North: three 8-hour shifts with a 30-minute lunch, a 15-minute
    break and one hour of training in the first; one shift its agent never logged into;
    a whole day of approved time off (8 paid hours)."""
    team = TeamFactory(name="North")
    TeamStaffing.objects.create(team=team, shrinkage=0.3, plan_with="measured")
    ana, bo = AgentFactory(team=team), AgentFactory(team=team)
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    for number, day in enumerate(days):
        agent = bo if number == 2 else ana
        shift = ShiftFactory(agent=agent, start=at_local(day, time(9)), end=at_local(day, time(17)))
        ShiftActivityFactory(shift=shift, kind="lunch", start=at_local(day, time(12)),
                             end=at_local(day, time(12, 30)))  # fmt: skip
        ShiftActivityFactory(shift=shift, kind="break", start=at_local(day, time(10)),
                             end=at_local(day, time(10, 15)))  # fmt: skip
        if number == 0:
            ShiftActivityFactory(shift=shift, kind="training", start=at_local(day, time(14)),
                                 end=at_local(day, time(15)))  # fmt: skip
        if agent == ana:  # Ana logs in on her days; Bo never does
            AgentStateEventFactory(agent=ana, state="available", at=at_local(day, time(9, 2)))
            AgentStateEventFactory(agent=ana, state="offline", at=at_local(day, time(17)))
    TimeOffFactory(agent=bo, start=local_days(DAY + timedelta(days=3))[0],
                   end=local_days(DAY + timedelta(days=3))[1])  # fmt: skip
    TimeOffFactory(agent=ana, status="requested", start=at_local(DAY + timedelta(days=4), time(0)),
                   end=at_local(DAY + timedelta(days=5), time(0)))  # fmt: skip
    rollup.roll_up_days(days)
    quiet = TeamFactory(name="Quiet")

    found = selectors.team_shrinkage([team, quiet], DAY, DAY + timedelta(days=6))
    north = found[team.pk]
    assert north.shift_hours == pytest.approx(24)
    assert north.time_off_hours == pytest.approx(8)
    assert north.break_hours == pytest.approx(3 * 0.75)
    assert north.meeting_hours == pytest.approx(1)
    assert north.absence_hours == pytest.approx(8 - 0.75)  # Bo's shift less its breaks
    assert north.paid_hours == pytest.approx(32)
    lost = 8 + 2.25 + 1 + 7.25
    assert north.lost_hours == pytest.approx(lost)
    assert north.measured == pytest.approx(lost / 32)
    assert (north.configured, north.plan_with, north.used) == (0.3, "measured", north.measured)
    empty = found[quiet.pk]
    assert empty.measured is None and empty.used == 0.3 and empty.plan_with == "configured"
    # The period clips: only the first day.
    first = selectors.team_shrinkage([team], DAY, DAY)[team.pk]
    assert (first.shift_hours, first.time_off_hours, first.absence_hours) == (8, 0, 0)


def test_the_default_shrinkage_period_is_the_last_four_full_weeks():
    assert selectors.shrinkage_period(date(2026, 3, 4)) == (date(2026, 2, 2), date(2026, 3, 1))


# The requirement -----------------------------------------------------------------------


def forecast(queue, day, rows):
    """Stored forecast rows of `queue` on local `day`: {local time: (contacts, aht)}."""
    for clock, (contacts, aht) in rows.items():
        Forecast.objects.create(
            queue=queue, start=at_local(day, clock), contacts=contacts, aht_seconds=aht,
            method="seasonal_naive",
        )  # fmt: skip


def test_requirement_is_the_engine_on_the_stored_forecast():
    voice = QueueFactory(name="Voice")
    chat = QueueFactory(name="Chat", channel="chat")
    mail = QueueFactory(name="Mail", channel="email")
    team = TeamFactory(name="North")
    team.queues.add(voice, chat)
    TeamStaffing.objects.create(team=team, shrinkage=0.3)
    QueueStaffing.objects.create(queue=chat, concurrency=2, patience_seconds=300)
    QueueStaffing.objects.create(queue=voice, patience_seconds=90, target_service_level=0.8)
    forecast(voice, DAY, {time(10): (50, 180), time(10, 15): (0, None)})
    forecast(chat, DAY, {time(10): (30, 400)})
    forecast(mail, DAY - timedelta(days=1), {time(23, 45): (96, 300)})  # due within a day
    forecast(mail, DAY, {time(9): (10, 300)})

    found = selectors.requirement([voice, chat, mail], DAY, 1)
    assert len(found.starts) == 96 and found.local_starts[40] == at_local(DAY, time(10))
    assert list(found.queues) == [chat.pk, mail.pk, voice.pk]  # by name
    at_ten = found.queues[voice.pk]
    assert at_ten.contacts[40] == 50 and at_ten.aht_seconds[40] == 180
    assert np.isnan(at_ten.aht_seconds[41]) and at_ten.contacts.sum() == 50
    for model in erlang.MODELS:
        expected = erlang.agents_needed(
            model, 50, 180, 900, 0.8, 20, max_occupancy=0.85,
            patience_seconds=90 if model == "erlang_a" else None,
        )  # fmt: skip
        assert at_ten.agents[model][40] == expected
        assert at_ten.scheduled[model][40] == erlang.scheduled(expected, 0.3)
        assert at_ten.agents[model][41] == 0 and at_ten.agents[model].sum() == expected
    assert at_ten.agents["erlang_a"][40] <= at_ten.agents["erlang_c"][40]
    chatting = found.queues[chat.pk]
    assert chatting.agents["erlang_c"][40] == erlang.agents_needed(
        "erlang_c", 30, 400, 900, 0.8, 60, max_occupancy=0.85, concurrency=2
    )
    # E-mail: deferred work, yesterday's last interval spread into today's first hours.
    mailing = found.queues[mail.pk]
    work = np.zeros(192)
    work[95], work[96 + 36] = 96, 10
    spread = erlang.deferred_agents(work, 300, 900, 86_400)[96:]
    np.testing.assert_allclose(mailing.agents["erlang_c"], spread)
    np.testing.assert_allclose(mailing.agents["erlang_a"], spread)
    assert mailing.agents["erlang_c"][0] > 0 and mailing.shrinkage == 0.3  # no team: default
    # A group: its queues' sums.
    total = found.total()
    assert total["contacts"][40] == 80
    assert total["aht_seconds"][40] == pytest.approx((50 * 180 + 30 * 400) / 80)
    assert total["agents"]["erlang_c"][40] == sum(
        part.agents["erlang_c"][40] for part in found.queues.values()
    )


def test_requirement_follows_the_local_intervals_of_a_dst_day(settings):
    settings.TIME_ZONE = "America/New_York"
    queue = QueueFactory(name="Voice")
    day = date(2026, 11, 1)  # 25 hours
    forecast(queue, day, {time(10): (50, 180)})
    found = selectors.requirement([queue], day, 1)
    assert len(found.starts) == 100
    assert found.local_starts[44] == at_local(day, time(10))
    assert found.queues[queue.pk].contacts[44] == 50


def test_a_missing_aht_takes_its_days_mean_whatever_the_range():
    """The one reader of the stored forecast (coverage, API, what-if): an interval with
    contacts but no AHT takes its local day's mean weighted by contacts, so a day reads
    the same alone or in its week; a day with no AHT at all counts no contacts."""
    voice = QueueFactory(name="Voice")
    other = QueueFactory(name="Other")
    forecast(voice, DAY, {time(10): (30, 200), time(10, 15): (10, 400), time(10, 30): (5, None)})
    forecast(voice, DAY + timedelta(days=1), {time(9): (50, 100), time(9, 15): (5, None)})
    forecast(voice, DAY + timedelta(days=2), {time(9): (7, None)})
    forecast(other, DAY, {time(10): (3, 300)})
    starts, contacts, aht = selectors.forecast_arrays([other, voice], DAY, 3)
    assert len(starts) == 3 * 96 and contacts[0, 40] == 3 and aht[0, 40] == 300
    assert aht[1, 42] == pytest.approx((30 * 200 + 10 * 400) / 40)  # not the range's mean
    assert aht[1, 96 + 37] == 100
    assert contacts[1, 192 + 36] == 0 and np.isnan(aht[1, 192 + 36])
    assert np.isnan(aht[1, 43]) and contacts[1, 43] == 0
    _, alone_contacts, alone_aht = selectors.forecast_arrays([voice], DAY + timedelta(days=1), 1)
    np.testing.assert_array_equal(alone_contacts[0], contacts[1, 96:192])
    np.testing.assert_array_equal(alone_aht[0], aht[1, 96:192])
