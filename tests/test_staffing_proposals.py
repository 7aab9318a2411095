"""Schedule proposals: the integer program against hand-made requirements and a greedy
cover, the assignment to agents, the services (propose, edit, apply, reject) on the real
database and schedule rules, and the pages' access."""

from datetime import date, time, timedelta

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from agents.models import Skill
from core.localtime import at_local, local_days
from forecasting.models import Forecast
from scheduling import services as schedules
from scheduling.models import Shift, ShiftTemplate, ShiftTemplateActivity, TimeOff
from staffing import proposal_selectors, proposals, services
from staffing.models import ProposalMode, ProposalStatus, ProposedShift, ScheduleProposal
from staffing.proposals import SLOTS_PER_DAY, ShiftShape
from tests.factories import AgentFactory, AgentSkillFactory, QueueFactory

BREAKS = ((105, 15), (210, 30), (360, 15))  # the demo templates' activities
EARLY = ShiftShape(1, "Early", 7 * 60, 510, BREAKS)
DAY = ShiftShape(2, "Day", 9 * 60, 510, BREAKS)
LATE = ShiftShape(3, "Late", 11 * 60 + 30, 510, BREAKS)
SHORT = ShiftShape(4, "Short", 10 * 60, 240)


def slot(hour: float) -> int:
    return int(hour * 4)


def hand_made_need(days: int = 7) -> np.ndarray:
    """A contact center's week: a weekday double peak from 07:00 to 20:00, a light
    weekend from 09:00 to 17:00."""
    need = np.zeros((days, SLOTS_PER_DAY))
    weekday = {7: 2, 8: 4, 9: 6, 10: 7, 11: 7, 12: 5, 13: 5, 14: 6, 15: 6, 16: 5, 17: 4,
               18: 2, 19: 1}  # fmt: skip
    for day in range(days):
        for hour, agents in weekday.items():
            if day < 5:
                need[day, slot(hour) : slot(hour + 1)] = agents + (day == 0)
            elif 9 <= hour < 17:
                need[day, slot(hour) : slot(hour + 1)] = 2
    return need


def demo_shapes():
    return proposals.with_break_delays([EARLY, DAY, LATE], proposals.BREAK_DELAYS)


class TestShapes:
    def test_profile_counts_only_productive_time(self):
        profile = EARLY.profile()
        assert profile.size == 34  # 8.5 hours
        # The first break 08:45-09:00 is the 8th slot; lunch 10:30-11:00 two slots.
        assert profile[7] == 0 and profile[14] == profile[15] == 0
        assert profile.sum() * 15 == 510 - 60

    def test_a_start_off_the_quarter_hour_covers_part_of_its_first_slot(self):
        profile = ShiftShape(9, "Odd", 7 * 60 + 10, 60).profile()
        np.testing.assert_allclose(profile, [1 / 3, 1, 1, 1, 2 / 3])

    def test_break_delays_stay_inside_the_shift(self):
        shapes = proposals.with_break_delays([EARLY, SHORT], (0, 15, 30, 45))
        assert [shape.break_delay for shape in shapes] == [0, 15, 30, 45, 0]
        late_break = ShiftShape(5, "Tight", 0, 120, ((90, 15),))
        assert [s.break_delay for s in proposals.with_break_delays([late_break], (0, 15, 30))] == [
            0,
            15,
        ]

    def test_a_night_shift_covers_the_next_morning_within_the_week(self):
        night = ShiftShape(7, "Night", 22 * 60, 480)
        matrix = proposals.coverage_matrix([night], 2).toarray()
        first_day = matrix[:, 0]
        assert (
            first_day[slot(22) : SLOTS_PER_DAY].all()
            and first_day[SLOTS_PER_DAY : SLOTS_PER_DAY + slot(6)].all()
        )
        # The last day's night would cover the morning after the week: not counted.
        assert matrix[:, 1].sum() == 8


class TestSolveCover:
    def test_covers_every_interval_of_a_hand_made_requirement(self):
        need = hand_made_need()
        cover = proposals.solve_cover(need, demo_shapes())
        assert cover.shortfall.sum() == 0
        assert (cover.coverage >= need).all()
        assert not cover.uncoverable.any() and cover.notes == []
        variants = {(shape.key, shape.break_delay) for shape in demo_shapes()}
        assert cover.agent_hours == pytest.approx(cover.counts.sum() * 8.5)
        assert len(variants) == 12

    def test_no_worse_than_a_greedy_cover_and_above_its_lower_bound(self):
        need = hand_made_need()
        shapes = [*demo_shapes(), SHORT]
        cover = proposals.solve_cover(need, shapes)
        greedy = proposals.greedy_cover(need, shapes)
        assert greedy.shortfall.sum() == 0  # both cover it all ...
        assert cover.agent_hours <= greedy.agent_hours  # ... the program with no more hours
        assert cover.lower_bound_hours <= cover.agent_hours + 1e-6
        assert 0 <= cover.gap <= 1e-3
        # A bound worth the name: every interval's need times a quarter hour, at least.
        assert cover.lower_bound_hours >= need.sum() / 4

    def test_an_exact_cover_is_found_when_one_exists(self):
        need = np.zeros((1, SLOTS_PER_DAY))
        need[0, slot(10) : slot(14)] = 3
        cover = proposals.solve_cover(need, [SHORT, EARLY])
        assert cover.counts.tolist() == [[3], [0]]
        assert cover.agent_hours == 12 and cover.lower_bound_hours == pytest.approx(12)

    def test_need_outside_every_template_is_named_not_hidden(self):
        need = hand_made_need()
        need[2, slot(21)] = 3
        cover = proposals.solve_cover(need, demo_shapes())
        assert cover.uncoverable.sum() == 1 and cover.uncoverable[2, slot(21)]
        assert cover.shortfall[2, slot(21)] == 3
        assert "outside every shift template" in cover.notes[0]

    def test_too_few_agents_get_open_shifts_and_everything_is_covered(self):
        need = hand_made_need()
        alone = proposals.solve_cover(need, demo_shapes())
        cover = proposals.solve_cover(need, demo_shapes(), day_caps=[6] * 7, week_cap=30)
        assert cover.shortfall.sum() == 0 and (cover.coverage >= need - 1e-9).all()
        agents_shifts = cover.counts - cover.open_counts
        assert (agents_shifts.sum(axis=0) <= 6).all()
        # Every shift the agents can work is theirs; only the rest is open, and the
        # schedule is as short as with no caps (every shape is 8.5 hours).
        assert agents_shifts.sum() == 30
        assert cover.counts.sum() == alone.counts.sum()
        assert cover.open_counts.sum() == alone.counts.sum() - 30
        assert cover.open_hours == pytest.approx(8.5 * cover.open_counts.sum())
        assert cover.lower_bound_hours <= cover.agent_hours + 1e-6
        greedy = proposals.greedy_cover(need, demo_shapes(), day_caps=[6] * 7, week_cap=30)
        assert greedy.shortfall.sum() == 0
        assert (greedy.counts - greedy.open_counts).sum() == 30
        assert cover.agent_hours <= greedy.agent_hours

    def test_an_agents_shift_is_preferred_to_an_open_one(self):
        need = np.zeros((1, SLOTS_PER_DAY))
        need[0, slot(10) : slot(14)] = 3
        cover = proposals.solve_cover(need, [SHORT, EARLY], day_caps=[2], week_cap=5)
        assert cover.counts.tolist() == [[3], [0]] and cover.open_counts.tolist() == [[1], [0]]
        # An open shift costs more than an agent's: with agents free, none is open.
        free = proposals.solve_cover(need, [SHORT, EARLY], day_caps=[3], week_cap=5)
        assert free.open_counts.sum() == 0 and free.agent_hours == 12

    def test_nothing_to_cover(self):
        cover = proposals.solve_cover(np.zeros((7, SLOTS_PER_DAY)), demo_shapes())
        assert cover.counts.sum() == 0 and cover.agent_hours == 0 and cover.gap == 0


class TestAssignShifts:
    def test_one_shift_a_day_within_capacity_and_allowed(self):
        shapes = [EARLY, LATE]
        counts = np.array([[3, 3, 3], [2, 2, 2]])
        allowed = np.ones((6, 2, 3), dtype=bool)
        allowed[0, :, 1] = False  # agent 0 away on day 1
        capacity = np.array([2, 2, 3, 3, 3, 3])
        result = proposals.assign_shifts(counts, allowed, capacity, shapes)
        assert len(result.assigned) == 15 and result.open_counts.sum() == 0
        days = [(agent, day) for agent, _shape, day in result.assigned]
        assert len(days) == len(set(days))  # never two shifts a day
        assert (0, 1) not in days
        loads = np.bincount([agent for agent, *_ in result.assigned], minlength=6)
        assert (loads <= capacity).all()

    def test_shifts_no_one_may_work_stay_open(self):
        counts = np.array([[2, 1]])
        allowed = np.ones((1, 1, 2), dtype=bool)
        result = proposals.assign_shifts(counts, allowed, np.array([5]), [EARLY])
        assert len(result.assigned) == 2
        assert result.open_counts.tolist() == [[1, 0]]

    def test_rest_between_days_is_kept(self):
        late = ShiftShape(1, "Late", 14 * 60, 480)  # ends 22:00
        early = ShiftShape(2, "Early", 6 * 60, 480)  # 8 hours of rest after a late
        assert proposals.rest_conflicts([late, early], 2) == [(0, 3)]
        counts = np.array([[1, 0], [0, 1]])
        result = proposals.assign_shifts(counts, np.ones((1, 2, 2), bool), [5], [late, early])
        assert len(result.assigned) == 1 and result.open_counts.sum() == 1
        two = proposals.assign_shifts(counts, np.ones((2, 2, 2), bool), [5, 5], [late, early])
        assert len(two.assigned) == 2 and {a for a, *_ in two.assigned} == {0, 1}

    def test_the_agents_take_the_days_with_most_shifts(self):
        # One agent, one shift left: on Monday (3 shifts) rather than Tuesday (1), so the
        # busiest day has two open shifts, not three (two more people, not three).
        counts = np.array([[3, 1]])
        result = proposals.assign_shifts(counts, np.ones((1, 1, 2), bool), [1], [EARLY])
        assert result.assigned == [(0, 0, 0)] and result.open_counts.tolist() == [[2, 1]]

    def test_the_load_is_spread(self):
        counts = np.array([[4, 4, 4, 4, 4]])
        result = proposals.assign_shifts(counts, np.ones((5, 1, 5), bool), np.full(5, 5), [EARLY])
        loads = np.bincount([agent for agent, *_ in result.assigned], minlength=5)
        assert loads.tolist() == [4, 4, 4, 4, 4]


def test_coverage_of_placed_shifts_matches_the_solvers_matrix():
    shapes = demo_shapes()
    cover = proposals.solve_cover(hand_made_need(), shapes)
    placements = [(day, shapes[t]) for t, day in np.argwhere(cover.counts)
                  for _ in range(cover.counts[t, day])]  # fmt: skip
    np.testing.assert_allclose(proposals.coverage_of(placements, 7), cover.coverage)


# --- the services and pages, on the real database ----------------------------------------

WEEK = date(2026, 3, 9)  # a Monday


@pytest.fixture
def templates(db):
    """The demo's three templates."""
    made = []
    for name, start in (("Early", time(7)), ("Day", time(9)), ("Late", time(11, 30))):
        template = ShiftTemplate.objects.create(name=name, start_time=start, minutes=510)
        ShiftTemplateActivity.objects.bulk_create(
            ShiftTemplateActivity(template=template, kind=kind, offset_minutes=offset, minutes=m)
            for kind, offset, m in (("break", 105, 15), ("lunch", 210, 30), ("break", 360, 15))
        )
        made.append(template)
    return made


@pytest.fixture
def crew(team_a, agent_a):
    """Team A: twenty active agents (agent_a among them)."""
    return [agent_a, *AgentFactory.create_batch(19, team=team_a)]


def draft(team, by, need=None, scheduled=None):
    need = hand_made_need() if need is None else need
    scheduled = np.zeros_like(need) if scheduled is None else scheduled
    return services.propose_for(team=team, week=WEEK, required=need, scheduled=scheduled, by=by)


def placed(proposal):
    return list(proposal.shifts.select_related("agent", "template", "proposal"))


class TestPropose:
    def test_the_draft_covers_every_interval_with_named_agents(self, templates, crew, supervisor_a):
        proposal = draft(crew[0].team, supervisor_a)
        shifts = placed(proposal)
        coverage = proposal_selectors.coverage(proposal, shifts)
        assert coverage["totals"]["short_after"] == 0
        assert all(row["after"] >= row["required"] for row in coverage["rows"])
        assert proposal.status == ProposalStatus.DRAFT and proposal.created_by == supervisor_a
        assert proposal.lower_bound_hours <= proposal.agent_hours
        assert proposal.summary["greedy_hours"] >= proposal.agent_hours
        assert proposal.agent_hours == pytest.approx(8.5 * len(shifts))
        assert all(shift.agent is not None for shift in shifts)  # twenty agents are enough
        days = [(s.agent_id, timezone.localtime(s.start).date()) for s in shifts]
        assert len(days) == len(set(days))  # a shift a day
        per_agent = np.bincount([s.agent_id for s in shifts])
        assert per_agent.max() <= proposals.MAX_SHIFTS_PER_WEEK

    def test_approved_time_off_and_existing_shifts_are_respected(
        self, templates, crew, supervisor_a
    ):
        away, busy = crew[1], crew[2]
        TimeOff.objects.create(agent=away, start=at_local(WEEK, time(0)),
                               end=at_local(WEEK + timedelta(days=3), time(0)), status="approved")  # fmt: skip
        schedules.shift_create(agent=busy, start=at_local(WEEK + timedelta(days=1), time(7)),
                               end=at_local(WEEK + timedelta(days=1), time(15, 30)))  # fmt: skip
        shifts = placed(draft(crew[0].team, supervisor_a))
        assert not [
            s
            for s in shifts
            if s.agent == away and s.start < at_local(WEEK + timedelta(days=3), time(0))
        ]
        assert not [
            s
            for s in shifts
            if s.agent == busy and timezone.localtime(s.start).date() == WEEK + timedelta(days=1)
        ]
        # Everyone proposed passes the schedule's rules.
        for shift in shifts:
            assert schedules.shift_rule_errors(agent=shift.agent, start=shift.start, end=shift.end,
                                               spans=services.proposed_spans(shift)) == []  # fmt: skip

    def test_only_the_gap_is_proposed(self, templates, crew, supervisor_a):
        need = hand_made_need()
        scheduled = np.zeros_like(need)
        scheduled[0] = need[0]  # Monday already covered by the schedule
        shifts = placed(draft(crew[0].team, supervisor_a, need, scheduled))
        assert shifts and not [s for s in shifts if timezone.localtime(s.start).date() == WEEK]

    def test_a_team_too_small_gets_a_full_cover_with_open_shifts(
        self, templates, team_a, agent_a, supervisor_a
    ):
        crew = [agent_a, AgentFactory(team=team_a)]
        TimeOff.objects.create(agent=crew[1], start=at_local(WEEK, time(0)),
                               end=at_local(WEEK + timedelta(days=1), time(0)), status="approved")  # fmt: skip
        proposal = draft(team_a, supervisor_a)
        shifts = placed(proposal)
        coverage = proposal_selectors.coverage(proposal, shifts)
        assert coverage["totals"]["short_after"] == pytest.approx(0, abs=1e-9)
        assert proposal.summary["shortfall_hours"] == 0 and proposal.summary["notes"] == []
        # As many shifts as the best cover with no caps at all; the two agents work what
        # they can (five each, the second not on Monday), exactly the rest is open.
        alone = proposals.solve_cover(hand_made_need(), demo_shapes())
        given = [shift for shift in shifts if shift.agent_id]
        assert len(shifts) == alone.counts.sum()
        assert len(given) == 2 * proposals.MAX_SHIFTS_PER_WEEK
        assert proposal.summary["open_shifts"] == len(shifts) - len(given) > 0
        assert proposal.summary["open_hours"] == pytest.approx(8.5 * (len(shifts) - len(given)))
        assert not [
            s
            for s in given
            if s.agent == crew[1] and s.start < at_local(WEEK + timedelta(days=1), time(0))
        ]
        for shift in given:
            assert schedules.shift_rule_errors(agent=shift.agent, start=shift.start, end=shift.end,
                                               spans=services.proposed_spans(shift)) == []  # fmt: skip

    def test_no_shift_is_open_while_an_agent_is_free_for_it(self, templates, team_a, supervisor_a):
        crew = AgentFactory.create_batch(6, team=team_a)
        TimeOff.objects.create(agent=crew[0], start=at_local(WEEK, time(0)),
                               end=at_local(WEEK + timedelta(days=4), time(0)), status="approved")  # fmt: skip
        schedules.shift_create(agent=crew[1], start=at_local(WEEK + timedelta(days=2), time(7)),
                               end=at_local(WEEK + timedelta(days=2), time(15, 30)))  # fmt: skip
        shifts = placed(draft(team_a, supervisor_a))
        open_ = [shift for shift in shifts if shift.agent_id is None]
        assert open_
        rest = timedelta(hours=proposals.MIN_REST_HOURS)
        for shift in open_:
            day = timezone.localtime(shift.start).date()
            for agent in crew:
                theirs = [s for s in shifts if s.agent_id == agent.pk]
                free = (
                    len(theirs) + Shift.objects.filter(agent=agent).count()
                    < proposals.MAX_SHIFTS_PER_WEEK
                    and not [s for s in theirs if timezone.localtime(s.start).date() == day
                             or (s.start < shift.end + rest and s.end > shift.start - rest)]
                    and not schedules.shift_rule_errors(agent=agent, start=shift.start,
                                                        end=shift.end)
                )  # fmt: skip
                assert not free, f"{agent} was free for the open shift {shift}"

    def test_a_new_draft_replaces_the_last(self, templates, crew, supervisor_a):
        first = draft(crew[0].team, supervisor_a)
        second = draft(crew[0].team, supervisor_a)
        first.refresh_from_db()
        assert first.status == ProposalStatus.REJECTED and second.status == ProposalStatus.DRAFT

    def test_from_the_stored_forecast(self, templates, crew, supervisor_a):
        """The real path: the team's queue's forecast, through staffing.selectors."""
        skill = Skill.objects.create(name="billing")
        queue = QueueFactory(name="Billing", required_skill=skill, service_level_seconds=20)
        crew[0].team.queues.add(queue)
        for agent in crew:
            AgentSkillFactory(agent=agent, skill=skill)
        begin, _ = local_days(WEEK, 7)
        Forecast.objects.bulk_create(
            Forecast(queue=queue, start=begin + timedelta(days=day, hours=hour, minutes=15 * q),
                     contacts=20.0, aht_seconds=240.0, method="seasonal_naive")
            for day in range(5) for hour in range(9, 17) for q in range(4)
        )  # fmt: skip
        proposal = services.propose(team=crew[0].team, week=WEEK, by=supervisor_a)
        coverage = proposal_selectors.coverage(proposal, placed(proposal))
        required = np.array(proposal.summary["required"])
        assert required.max() > 0 and required[5:].sum() == 0
        assert coverage["totals"]["short_after"] == 0
        with pytest.raises(ValidationError, match="Nothing is required"):
            services.propose(team=crew[0].team, week=WEEK + timedelta(days=7), by=supervisor_a)

    def test_only_the_teams_supervisors_and_managers(self, templates, crew, supervisor_b, manager):
        with pytest.raises(PermissionDenied):
            draft(crew[0].team, supervisor_b)
        assert draft(crew[0].team, manager).created_by == manager


def billing_team(crew):
    """Team A serving one voice queue, Billing, whose agents all have its skill, with
    20 contacts of 4 minutes a quarter hour forecast 09:00-17:00 on weekdays."""
    skill = Skill.objects.create(name="billing")
    queue = QueueFactory(name="Billing", required_skill=skill, service_level_seconds=20)
    crew[0].team.queues.add(queue)
    for agent in crew:
        AgentSkillFactory(agent=agent, skill=skill)
    begin, _ = local_days(WEEK, 7)
    Forecast.objects.bulk_create(
        Forecast(queue=queue, start=begin + timedelta(days=day, hours=hour, minutes=15 * q),
                 contacts=20.0, aht_seconds=240.0, method="seasonal_naive")
        for day in range(5) for hour in range(9, 17) for q in range(4)
    )  # fmt: skip
    return crew[0].team


class TestReplan:
    """Every agent already works five Late shifts (11:30-20:00) while the need is
    09:00-17:00: nobody is free, so filling the gap takes open shifts only, and the week
    has to be re-planned to cover it with the team's agents."""

    @pytest.fixture
    def wrong_hours(self, templates, crew):
        team = billing_team(crew)
        late = templates[2]
        schedules.template_apply(template=late, agents=crew,
                                 days=[WEEK + timedelta(days=d) for d in range(5)])  # fmt: skip
        return team

    def test_filling_the_gap_takes_open_shifts_only(self, wrong_hours, supervisor_a):
        proposal = services.propose(team=wrong_hours, week=WEEK, by=supervisor_a)
        shifts = placed(proposal)
        coverage = proposal_selectors.coverage(proposal, shifts)
        assert proposal.mode == ProposalMode.FILL and shifts
        assert not [shift for shift in shifts if shift.agent_id]  # nobody is free
        assert coverage["totals"]["short_before"] > 0
        assert coverage["totals"]["short_after"] == pytest.approx(0, abs=1e-9)
        assert coverage["totals"]["over_before"] > 0  # the agents are there, at other times

    def test_replan_covers_the_requirement_with_no_more_hours(self, wrong_hours, supervisor_a):
        before_hours = 100 * 8.5
        proposal = services.propose(team=wrong_hours, week=WEEK, by=supervisor_a,
                                    mode=ProposalMode.REPLAN)  # fmt: skip
        shifts = placed(proposal)
        coverage = proposal_selectors.coverage(proposal, shifts)
        assert proposal.mode == ProposalMode.REPLAN
        assert len(proposal.summary["replaces"]) == 100
        assert proposal.summary["replaced_hours"] == pytest.approx(before_hours)
        assert coverage["totals"]["short_before"] > 0
        assert coverage["totals"]["short_after"] == pytest.approx(0, abs=1e-9)
        assert coverage["totals"]["kept"] == 0  # no other team has the skill
        assert all(shift.agent is not None for shift in shifts)  # no open shift
        assert 0 < proposal.agent_hours <= before_hours
        assert proposal.agent_hours == pytest.approx(8.5 * len(shifts))

    def test_apply_replaces_the_weeks_shifts(self, wrong_hours, supervisor_a):
        old = set(Shift.objects.values_list("pk", flat=True))
        proposal = services.propose(team=wrong_hours, week=WEEK, by=supervisor_a,
                                    mode=ProposalMode.REPLAN)  # fmt: skip
        created = services.apply(proposal=proposal, by=supervisor_a)
        remaining = set(Shift.objects.values_list("pk", flat=True))
        assert not remaining & old
        assert remaining == {shift.pk for shift in created}
        assert len(created) == proposal.shifts.count()
        assert {shift.note for shift in created} == {f"Proposal {proposal.pk}"}
        assert ScheduleProposal.objects.get(pk=proposal.pk).status == ProposalStatus.APPLIED

    def test_a_broken_rule_writes_nothing(self, wrong_hours, supervisor_a):
        old = set(Shift.objects.values_list("pk", "start", "end"))
        proposal = services.propose(team=wrong_hours, week=WEEK, by=supervisor_a,
                                    mode=ProposalMode.REPLAN)  # fmt: skip
        victim = proposal.shifts.filter(agent__isnull=False).first()
        TimeOff.objects.create(agent=victim.agent, start=victim.start, end=victim.end,
                               status="approved")  # fmt: skip
        with pytest.raises(ValidationError) as error:
            services.apply(proposal=proposal, by=supervisor_a)
        assert any("approved time off" in text for text in error.value.messages)
        assert set(Shift.objects.values_list("pk", "start", "end")) == old
        assert ScheduleProposal.objects.get(pk=proposal.pk).status == ProposalStatus.DRAFT

    def test_a_week_changed_since_is_refused(self, wrong_hours, crew, supervisor_a):
        proposal = services.propose(team=wrong_hours, week=WEEK, by=supervisor_a,
                                    mode=ProposalMode.REPLAN)  # fmt: skip
        schedules.shift_delete(shift=Shift.objects.filter(agent=crew[3]).first())
        count = Shift.objects.count()
        with pytest.raises(ValidationError, match="changed since"):
            services.apply(proposal=proposal, by=supervisor_a)
        assert Shift.objects.count() == count

    def test_the_page_names_the_mode_and_what_it_replaces(self, client, wrong_hours, supervisor_a):
        client.force_login(supervisor_a)
        response = client.post(reverse("staffing-proposal-new"),
                               {"team": wrong_hours.pk, "week": WEEK, "mode": "replan"})  # fmt: skip
        proposal = ScheduleProposal.objects.get()
        assert response.status_code == 302 and proposal.mode == ProposalMode.REPLAN
        body = client.get(reverse("staffing-proposal", args=[proposal.pk])).content.decode()
        assert "Re-plan the week" in body and "100 shifts of the week" in body
        assert body.count('class="shift scheduled-shift replaced-shift"') == 100


class TestEditApplyReject:
    def test_apply_writes_the_shifts_through_the_schedule(self, templates, crew, supervisor_a):
        proposal = draft(crew[0].team, supervisor_a)
        count = proposal.shifts.count()
        created = services.apply(proposal=proposal, by=supervisor_a)
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.APPLIED and proposal.decided_by == supervisor_a
        assert len(created) == count == Shift.objects.filter(note=f"Proposal {proposal.pk}").count()
        shift = Shift.objects.filter(note=f"Proposal {proposal.pk}").first()
        kinds = list(shift.activities.values_list("kind", flat=True))
        assert kinds == ["work", "break", "work", "lunch", "work", "break", "work"]
        assert shift.history.first().history_user == supervisor_a
        with pytest.raises(ValidationError, match="already applied"):
            services.apply(proposal=proposal, by=supervisor_a)

    def test_apply_writes_only_the_agents_shifts_and_keeps_the_open_ones_listed(
        self, client, templates, team_a, agent_a, supervisor_a
    ):
        proposal = draft(team_a, supervisor_a)
        given = proposal.shifts.filter(agent__isnull=False).count()
        open_ = set(proposal.shifts.filter(agent__isnull=True).values_list("pk", flat=True))
        assert given == proposals.MAX_SHIFTS_PER_WEEK and open_
        created = services.apply(proposal=proposal, by=supervisor_a)
        assert len(created) == given == Shift.objects.count()
        assert {shift.agent_id for shift in created} == {agent_a.pk}
        applied = ScheduleProposal.objects.get(pk=proposal.pk)
        assert applied.status == ProposalStatus.APPLIED
        assert set(applied.shifts.filter(agent__isnull=True).values_list("pk", flat=True)) == open_
        client.force_login(supervisor_a)
        body = client.get(reverse("staffing-proposal", args=[proposal.pk])).content.decode()
        assert "not written to anyone's schedule" in body and f"{len(open_)} open shifts" in body

    def test_a_broken_rule_rejects_the_whole_apply(self, templates, crew, supervisor_a):
        proposal = draft(crew[0].team, supervisor_a)
        victim = proposal.shifts.filter(agent__isnull=False).first()
        TimeOff.objects.create(agent=victim.agent, start=victim.start, end=victim.end,
                               status="approved")  # fmt: skip
        with pytest.raises(ValidationError) as error:
            services.apply(proposal=proposal, by=supervisor_a)
        assert any("approved time off" in text for text in error.value.messages)
        assert Shift.objects.count() == 0
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.DRAFT

    def test_edit_moves_checks_and_removes(self, templates, crew, supervisor_a):
        proposal = draft(crew[0].team, supervisor_a)
        shift = (
            proposal.shifts.select_related("proposal", "template")
            .filter(agent__isnull=False)
            .first()
        )
        new_start = shift.start + timedelta(minutes=30)
        services.proposed_shift_update(
            proposed=shift, agent=shift.agent, start=new_start, by=supervisor_a
        )
        shift.refresh_from_db()
        assert shift.start == new_start and shift.end - shift.start == timedelta(minutes=510)
        # Another agent who already works that day is refused, with the reason.
        same_day = proposal.shifts.exclude(pk=shift.pk).exclude(agent=shift.agent).filter(
            start__date=shift.start.date()).exclude(agent__isnull=True).first()  # fmt: skip
        if same_day is not None:
            with pytest.raises(ValidationError, match="already proposed"):
                services.proposed_shift_update(proposed=shift, agent=same_day.agent,
                                               start=shift.start, by=supervisor_a)  # fmt: skip
        services.proposed_shift_update(
            proposed=shift, agent=None, start=shift.start, by=supervisor_a
        )
        assert ProposedShift.objects.get(pk=shift.pk).agent is None
        services.proposed_shift_delete(proposed=shift, by=supervisor_a)
        assert not ProposedShift.objects.filter(pk=shift.pk).exists()

    def test_reject_leaves_the_schedule_alone(self, templates, crew, supervisor_a):
        proposal = draft(crew[0].team, supervisor_a)
        services.reject(proposal=proposal, by=supervisor_a)
        assert ScheduleProposal.objects.get(pk=proposal.pk).status == ProposalStatus.REJECTED
        assert Shift.objects.count() == 0
        with pytest.raises(ValidationError):
            services.apply(proposal=proposal, by=supervisor_a)


class TestPages:
    def test_the_draft_page_renders_its_grid_figures_and_coverage(
        self, client, templates, crew, supervisor_a
    ):
        proposal = draft(crew[0].team, supervisor_a)
        client.force_login(supervisor_a)
        response = client.get(reverse("staffing-proposal", args=[proposal.pk]))
        assert response.status_code == 200
        body = response.content.decode()
        assert 'id="proposal-grid"' in body and 'id="trend-proposal-coverage"' in body
        assert f"{proposal.agent_hours:.1f} h" in body
        assert body.count('class="shift proposed-shift"') == proposal.shifts.count()
        intervals = client.get(
            reverse("staffing-proposal", args=[proposal.pk]) + "?export=intervals"
        )
        assert intervals.status_code == 200
        assert (
            len(b"".join(intervals.streaming_content).decode().strip().splitlines())
            == 1 + 7 * SLOTS_PER_DAY
        )
        shifts_csv = client.get(reverse("staffing-proposal", args=[proposal.pk]) + "?export=shifts")
        assert (
            len(b"".join(shifts_csv.streaming_content).decode().strip().splitlines())
            == 1 + proposal.shifts.count()
        )

    def test_open_shifts_are_rows_of_the_week_with_the_agents_they_take(
        self, client, templates, team_a, agent_a, supervisor_a
    ):
        proposal = draft(team_a, supervisor_a)
        shifts = placed(proposal)
        open_ = [shift for shift in shifts if shift.agent_id is None]
        days = [timezone.localtime(shift.start).date() for shift in open_]
        busiest = max(days.count(day) for day in set(days))
        grid = proposal_selectors.grid(proposal, shifts)
        open_rows = [row for row in grid["rows"] if row["open"]]
        assert [row["open"] for row in open_rows] == list(range(1, busiest + 1))
        assert all(len(cell["proposed"]) <= 1 for row in open_rows for cell in row["cells"])
        assert sum(row["proposed_hours"] for row in open_rows) == pytest.approx(8.5 * len(open_))
        figures = proposal_selectors.open_shifts(shifts, grid["days"], grid["open_by_day"])
        assert figures["week_hours"] == 5 * 8.5
        assert figures["agent_weeks"] == pytest.approx(len(open_) / 5)
        assert figures["agents"] == max(-(-len(open_) // 5), busiest)
        client.force_login(supervisor_a)
        body = client.get(reverse("staffing-proposal", args=[proposal.pk])).content.decode()
        assert f"Open {busiest} <span" in body and 'id="open-shifts"' in body
        assert f"About {figures['agents']} more agents for this week" in body
        assert "Apply does not write them to anyone" in body

    def test_propose_edit_and_apply_through_the_pages(self, client, templates, crew, supervisor_a):
        proposal = draft(crew[0].team, supervisor_a)
        client.force_login(supervisor_a)
        listing = client.get(reverse("staffing-proposals"), {"team": crew[0].team.pk, "week": WEEK})
        assert listing.status_code == 200 and b"Propose a schedule" in listing.content
        shift = proposal.shifts.filter(agent__isnull=False).first()
        edit_url = reverse("staffing-proposed-shift", args=[shift.pk])
        assert client.get(edit_url).status_code == 200
        local = timezone.localtime(shift.start)
        response = client.post(
            edit_url,
            {"agent": shift.agent_id, "day": local.date() + timedelta(days=30), "start": "08:00"},
        )
        assert response.status_code == 400 and b"Choose a day of the week" in response.content
        response = client.post(
            edit_url, {"agent": shift.agent_id, "day": local.date(), "start": "08:00"}
        )
        assert response.status_code == 302
        assert timezone.localtime(ProposedShift.objects.get(pk=shift.pk).start).time() == time(8)
        response = client.post(reverse("staffing-proposal-apply", args=[proposal.pk]))
        assert response.status_code == 302
        assert (
            Shift.objects.filter(note=f"Proposal {proposal.pk}").count() == proposal.shifts.count()
        )

    def test_no_forecast_is_a_message_not_an_empty_draft(
        self, client, templates, crew, supervisor_a
    ):
        client.force_login(supervisor_a)
        response = client.post(
            reverse("staffing-proposal-new"), {"team": crew[0].team.pk, "week": WEEK}, follow=True
        )
        assert b"Nothing is required" in response.content
        assert not ScheduleProposal.objects.exists()

    @pytest.mark.parametrize(
        ("form", "field"), [({"team": "abc"}, "team"), ({"mode": "everything"}, "mode")]
    )
    def test_bad_input_is_a_400_naming_the_field(self, client, crew, supervisor_a, form, field):
        client.force_login(supervisor_a)
        data = {"team": crew[0].team.pk, "week": WEEK, **form}
        response = client.post(reverse("staffing-proposal-new"), data)
        assert response.status_code == 400 and response.content.decode().startswith(f"{field}:")
        assert not ScheduleProposal.objects.exists()

    @pytest.mark.parametrize(
        ("week", "intervals", "present", "absent"),
        [
            (date(2026, 3, 23), 7 * 96 - 4,
             ["2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00"], ["2026-03-29T02:"]),
            (date(2026, 10, 19), 7 * 96 + 4,
             ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"], []),
        ],
    )  # fmt: skip
    def test_intervals_follow_the_clock_changes(
        self, client, settings, templates, crew, supervisor_a, week, intervals, present, absent
    ):
        settings.TIME_ZONE = "Europe/Berlin"
        proposal = services.propose_for(team=crew[0].team, week=week, required=hand_made_need(),
                                        scheduled=np.zeros((7, SLOTS_PER_DAY)), by=supervisor_a)  # fmt: skip
        client.force_login(supervisor_a)
        url = reverse("staffing-proposal", args=[proposal.pk])
        lines = b"".join(client.get(url + "?export=intervals").streaming_content).decode()
        rows = [line.split(",") for line in lines.strip().splitlines()[1:]]
        starts = [row[0] for row in rows]
        assert len(rows) == intervals and len(set(starts)) == intervals
        assert all(text in starts for text in present)
        assert not [start for start in starts if any(start.startswith(a) for a in absent)]
        totals = proposal_selectors.coverage(proposal, placed(proposal))["totals"]
        assert sum(float(row[1]) for row in rows) / 4 == pytest.approx(totals["required"])
        assert sum(float(row[4]) for row in rows) / 4 == pytest.approx(totals["proposed"])
        assert client.get(url).status_code == 200

    def test_other_teams_supervisor_and_agents_are_refused(
        self, client, templates, crew, supervisor_a, supervisor_b
    ):
        proposal = draft(crew[0].team, supervisor_a)
        shift = proposal.shifts.first()
        agent_user = crew[0].user
        for user in (supervisor_b, agent_user):
            client.force_login(user)
            for url in (reverse("staffing-proposal", args=[proposal.pk]),
                        reverse("staffing-proposed-shift", args=[shift.pk])):  # fmt: skip
                assert client.get(url).status_code == 403
            for url in (reverse("staffing-proposal-apply", args=[proposal.pk]),
                        reverse("staffing-proposal-reject", args=[proposal.pk])):  # fmt: skip
                assert client.post(url).status_code == 403
            response = client.post(
                reverse("staffing-proposal-new"), {"team": crew[0].team.pk, "week": WEEK}
            )
            assert response.status_code == 403
        assert ScheduleProposal.objects.get(pk=proposal.pk).status == ProposalStatus.DRAFT
        assert ScheduleProposal.objects.count() == 1
