"""Roster services with their history, adherence on a hand-made day, and schedule changes
reaching the rollups."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from agents import services as roster
from agents.models import AgentStateEvent
from kpis import rollup as rollups
from kpis.models import AgentDay, StateInterval
from kpis.selectors import SeriesRequest, kpi_series
from scheduling import services as schedules
from scheduling.models import Shift
from scheduling.services import Span
from tests.factories import InteractionFactory, SkillFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def at(clock: str, day: date = DAY) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def states(agent, *events, day=DAY):
    AgentStateEvent.objects.bulk_create(
        AgentStateEvent(agent=agent, team=agent.team, state=state, at=at(clock, day))
        for clock, state in events
    )


def test_adherence_on_a_hand_made_day(manager, agent_a):
    # Scheduled 08:00-12:00 with a break 10:00-10:15: 14,400 s.
    schedules.shift_create(agent=agent_a, start=at("08:00"), end=at("12:00"),
                           spans=[Span("break", at("10:00"), at("10:15"))])  # fmt: skip
    states(agent_a,
           ("08:05", "available"),  # 5 minutes late
           ("09:00", "on_contact"), ("09:10", "after_contact_work"), ("09:12", "available"),
           ("09:55", "break"),  # 5 minutes early to the break...
           ("10:20", "available"),  # ... and 5 minutes late back
           ("11:30", "meeting"),  # an unscheduled meeting during work time
           ("12:00", "offline"))  # fmt: skip
    rollups.roll_up_days([DAY])
    # Work 08:05-09:55 (6,600) + break 10:00-10:15 (900) + work 10:20-11:30 (4,200).
    [row] = kpi_series(manager, SeriesRequest(start=DAY, end=DAY))
    assert row["components"]["scheduled_seconds"] == 14400
    assert row["components"]["adherent_seconds"] == 11700
    assert row["kpis"]["adherence"] == pytest.approx(81.25)
    intervals = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, granularity="interval"))
    by_start = {r["period_start"].strftime("%H:%M"): r["components"] for r in intervals}
    assert [by_start[t]["adherent_seconds"] for t in ("08:00", "09:45", "10:00", "10:15", "11:30")
            ] == [600, 600, 900, 600, 0]  # fmt: skip
    assert by_start["11:45"]["scheduled_seconds"] == 900


def test_schedule_changes_reach_the_rollups_through_their_history(agent_a, supervisor_a):
    states(agent_a, ("08:00", "available"), ("16:00", "offline"))
    states(agent_a, ("08:00", "available"), ("16:00", "offline"), day=DAY + timedelta(days=1))
    rollups.roll_up_changes()

    def scheduled(day):
        return AgentDay.objects.filter(day=day).aggregate(s=Sum("scheduled_seconds"))["s"] or 0

    shift = schedules.shift_create(agent=agent_a, start=at("08:00"), end=at("16:00"),
                                   by=supervisor_a)  # fmt: skip
    rollups.roll_up_changes()
    assert scheduled(DAY) == 8 * 3600
    assert AgentDay.objects.get(day=DAY).adherent_seconds == 8 * 3600
    # A break added to the same shift: the agent stayed available, so 15 minutes less adhere.
    schedules.shift_update(shift=shift, start=at("08:00"), end=at("16:00"), by=supervisor_a,
                           spans=[Span("break", at("10:00"), at("10:15"))])  # fmt: skip
    rollups.roll_up_changes()
    assert AgentDay.objects.get(day=DAY).adherent_seconds == 8 * 3600 - 900
    schedules.shift_move(shift=shift, start=at("09:00", DAY + timedelta(days=1)), by=supervisor_a)
    rollups.roll_up_changes()
    assert (scheduled(DAY), scheduled(DAY + timedelta(days=1))) == (0, 8 * 3600)
    # Moved to 09:00-17:00 with its break (11:00-11:15); states cover 08:00-16:00.
    assert AgentDay.objects.get(day=DAY + timedelta(days=1)).adherent_seconds == 7 * 3600 - 900
    schedules.shift_delete(shift=Shift.objects.get(), by=supervisor_a)
    rollups.roll_up_changes()
    assert scheduled(DAY + timedelta(days=1)) == 0


def test_moving_an_agent_keeps_past_numbers_with_the_old_team(team_a, team_b, manager, agent_a):
    InteractionFactory(agent=agent_a, team=team_a, arrived_at=at("09:00"))
    states(agent_a, ("08:00", "available"), ("12:00", "offline"))
    schedules.shift_create(agent=agent_a, start=at("08:00"), end=at("12:00"))
    tomorrow = timezone.localdate() + timedelta(days=1)
    coming = schedules.shift_create(agent=agent_a, start=at("08:00", tomorrow),
                                    end=at("12:00", tomorrow))  # fmt: skip
    rollups.roll_up_days([DAY])

    def by_team():
        rows = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, group_by="team"))
        return {r["group"]["team"]: (r["components"]["offered"], r["components"]["staffed_seconds"],
                                     r["components"]["scheduled_seconds"]) for r in rows}  # fmt: skip

    before = by_team()
    roster.agent_move(agent=agent_a, team=team_b, by=manager)
    rollups.roll_up_days([DAY])
    assert by_team() == before == {"Team A": (1, 14400, 14400)}
    assert set(StateInterval.objects.values_list("team__name", flat=True)) == {"Team A"}
    coming.refresh_from_db()
    assert coming.team == team_b
    assert Shift.objects.get(start=at("08:00")).team == team_a
    record = agent_a.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (
        manager, "moved from Team A to Team B")  # fmt: skip
    [change] = record.diff_against(record.prev_record).changes
    assert (change.field, change.old, change.new) == ("team", team_a.pk, team_b.pk)
    with pytest.raises(ValidationError, match="already on Team B"):
        roster.agent_move(agent=agent_a, team=team_b, by=manager)


def test_skills_activation_and_new_agents_are_recorded(team_a, supervisor_a, manager):
    agent = roster.agent_create(login="N-1", display_name="Nia New", team=team_a,
                                username="nia", password="a-long-password-1", by=manager)  # fmt: skip
    assert agent.user.groups.filter(name="Agent").exists()
    assert agent.user.check_password("a-long-password-1")
    assert agent.history.get().history_user == manager
    with pytest.raises(ValidationError, match="already exists"):
        roster.agent_create(login="N-1", by=manager)
    without_login = roster.agent_create(login="N-2", team=team_a, by=manager)
    assert without_login.user is None
    assert get_user_model().objects.filter(username="nia").count() == 1

    billing = SkillFactory(name="Billing")
    roster.agent_skill_set(agent=agent, skill=billing, proficiency=2, by=supervisor_a)
    roster.agent_skill_set(agent=agent, skill=billing, proficiency=4, by=supervisor_a)
    with pytest.raises(ValidationError, match="1 \\(learning\\) to 5"):
        roster.agent_skill_set(agent=agent, skill=billing, proficiency=6, by=supervisor_a)
    roster.agent_skill_remove(agent=agent, skill=billing, by=supervisor_a)
    skill_history = list(
        agent.agent_skills.model.history.filter(agent=agent).order_by("history_id")
    )
    assert [(r.history_type, r.proficiency) for r in skill_history] == [
        ("+", 2), ("~", 4), ("-", 4)]  # fmt: skip
    assert {r.history_user for r in skill_history} == {supervisor_a}

    roster.agent_set_active(agent=agent, active=False, by=supervisor_a)
    record = agent.history.order_by("-history_id").first()
    assert (record.active, record.history_change_reason) == (False, "marked inactive")


def test_agent_logins_are_trimmed_and_required(team_a):
    assert roster.agent_create(login="  X-9 ").login == "X-9"
    with pytest.raises(ValidationError, match="needs a login"):
        roster.agent_create(login="   ")
