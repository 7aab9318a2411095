"""Schedule proposals: the integer program against hand-made requirements and a greedy
cover, the assignment to agents, the services (propose, edit, apply, reject) on the real
database and schedule rules, and the pages' access."""

import numpy as np
import pytest

from staffing import proposals
from staffing.proposals import SLOTS_PER_DAY, ShiftShape

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
        hours = {shape.label: shape.hours for shape in demo_shapes()}
        assert cover.agent_hours == pytest.approx(cover.counts.sum() * 8.5)
        assert len(hours) == 12

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

    def test_too_few_agents_gives_the_best_they_can_and_says_what_is_short(self):
        need = hand_made_need()
        cover = proposals.solve_cover(need, demo_shapes(), day_caps=[6] * 7, week_cap=30)
        assert (cover.counts.sum(axis=0) <= 6).all() and cover.counts.sum() <= 30
        assert cover.shortfall.sum() > 0
        assert "stay short" in cover.notes[-1]
        assert cover.lower_bound_hours <= cover.agent_hours + 1e-6
        greedy = proposals.greedy_cover(need, demo_shapes(), day_caps=[6] * 7, week_cap=30)
        assert cover.shortfall.sum() <= greedy.shortfall.sum() + 1e-9

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

    def test_the_load_is_spread(self):
        counts = np.array([[4, 4, 4, 4, 4]])
        result = proposals.assign_shifts(counts, np.ones((5, 1, 5), bool), np.full(5, 5), [EARLY])
        loads = np.bincount([agent for agent, *_ in result.assigned], minlength=5)
        assert loads.tolist() == [4, 4, 4, 4, 4]
