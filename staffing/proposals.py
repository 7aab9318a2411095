"""A week of shifts that covers a staffing requirement with the fewest agent-hours: an
integer program solved by HiGHS (scipy.optimize.milp), a greedy cover to compare it
with, and the assignment of the chosen shifts to named agents; shifts beyond what the
agents can work stay open (docs/staffing.md, "Schedule proposals"). Numbers only: numpy
and scipy, no Django.

The week is `days` local days of SLOTS_PER_DAY 15-minute slots, indexed by wall-clock
time (a shift from 07:00 covers the 07:00 slot on every day, DST days included). A shift
covers a slot with the share of it that is productive: time on shift outside breaks,
lunch, meetings and training. A shift crossing midnight covers the next morning's slots;
what it would cover after the week's last day falls outside the requirement and is not
counted.
"""

import time
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
# Shifts an agent works in a week where enough agents allow it: two days off each.
MAX_SHIFTS_PER_WEEK = 5
# Hours between the end of one shift and the start of the agent's next.
MIN_REST_HOURS = 11
# The solver stops at this many seconds with the best schedule found (its gap says how
# good): a proposal answers within the page's budget whatever the team.
TIME_LIMIT_SECONDS = 8.0
# Break staggers a proposal may use: a template's breaks as placed, or a quarter hour,
# half an hour or three quarters later (as planners stagger a team's breaks).
BREAK_DELAYS = (0, 15, 30, 45)
# Share of need below which an interval counts as covered (float requirements).
EPSILON = 1e-6
# What an hour of an open shift costs over an hour of one of the team's agents: overtime
# is paid at time and a half, and another team's agent or a hire costs at least that.
# So the program fills the team's agents' free days first, and an open shift is worth
# up to 1.5 times its hours of agents' shifts.
OPEN_PREMIUM = 0.5


@dataclass(frozen=True)
class ShiftShape:
    """A shift template as the solver sees it: local start, length, and the
    (offset, minutes) of its activities that are not work."""

    key: int
    name: str
    start_minute: int
    minutes: int
    away: tuple[tuple[int, int], ...] = ()
    break_delay: int = 0  # minutes the activities are moved later than the template's

    @property
    def hours(self) -> float:
        return self.minutes / 60

    def profile(self) -> np.ndarray:
        """Productive share of each slot from the start slot on (0-1 per slot)."""
        lead = self.start_minute % SLOT_MINUTES
        minutes = np.zeros(lead + self.minutes, dtype=bool)
        minutes[lead:] = True
        for offset, length in self.away:
            begin = lead + offset + self.break_delay
            minutes[begin : begin + length] = False
        padded = np.zeros(-(-minutes.size // SLOT_MINUTES) * SLOT_MINUTES, dtype=bool)
        padded[: minutes.size] = minutes
        return padded.reshape(-1, SLOT_MINUTES).sum(axis=1) / SLOT_MINUTES


def with_break_delays(shapes: list[ShiftShape], delays) -> list[ShiftShape]:
    """Each shape once per break delay that keeps its activities inside the shift.

    Templates place breaks at fixed offsets, so every agent on one template would leave
    the phones at the same moment, and two templates can break at the same time (with the
    demo's, nobody works 08:45, 10:45 or 17:30). Planners stagger breaks by a quarter hour
    or so; the program chooses the stagger like it chooses the start."""
    variants = []
    for shape in shapes:
        last_end = max((offset + length for offset, length in shape.away), default=0)
        variants += [
            replace(shape, break_delay=delay)
            for delay in delays
            if delay == 0 or (shape.away and last_end + delay <= shape.minutes)
        ]
    return variants


def coverage_matrix(shapes: list[ShiftShape], days: int) -> sparse.csc_array:
    """(days * SLOTS_PER_DAY) x (len(shapes) * days): column t * days + d is one agent
    starting shape t on day d, its rows the productive share of each slot it covers."""
    rows, cols, values = [], [], []
    horizon = days * SLOTS_PER_DAY
    for index, shape in enumerate(shapes):
        profile = shape.profile()
        offsets = np.nonzero(profile)[0]
        for day in range(days):
            slots = day * SLOTS_PER_DAY + shape.start_minute // SLOT_MINUTES + offsets
            kept = slots < horizon
            rows.append(slots[kept])
            cols.append(np.full(kept.sum(), index * days + day))
            values.append(profile[offsets][kept])
    if not rows:
        return sparse.csc_array((horizon, 0))
    return sparse.csc_array(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(horizon, len(shapes) * days),
    )


@dataclass
class Cover:
    """Shifts to start: counts[t, d] on shape t, day d, of which open_counts[t, d] are
    beyond what the team's agents can work (open shifts); and what they leave."""

    counts: np.ndarray
    open_counts: np.ndarray
    agent_hours: float  # paid hours of every shift, open ones included
    open_hours: float  # paid hours of the open shifts
    coverage: np.ndarray  # (days, SLOTS_PER_DAY) productive agents the counts give
    shortfall: np.ndarray  # (days, SLOTS_PER_DAY) need left uncovered, agents
    uncoverable: np.ndarray  # (days, SLOTS_PER_DAY) bool: need no shape can cover
    lower_bound_hours: float | None = None  # no cover with as few open hours needs fewer
    gap: float | None = None  # (hours - bound) / hours
    status: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def shortfall_hours(self) -> float:
        return float(self.shortfall.sum()) * SLOT_MINUTES / 60


def _cover(shapes, counts, open_counts, need, matrix, uncoverable, **figures) -> Cover:
    days = need.shape[0]
    coverage = (matrix @ counts.reshape(-1).astype(float)).reshape(days, SLOTS_PER_DAY)
    hours = np.array([shape.hours for shape in shapes])
    return Cover(
        counts=counts,
        open_counts=open_counts,
        agent_hours=float((hours[:, None] * counts).sum()),
        open_hours=float((hours[:, None] * open_counts).sum()),
        coverage=coverage,
        shortfall=np.maximum(need - coverage, 0) * (need > EPSILON),
        uncoverable=uncoverable,
        **figures,
    )


def _caps(days, day_caps, week_cap):
    day_caps = np.full(days, np.inf) if day_caps is None else np.asarray(day_caps, dtype=float)
    return day_caps, (np.inf if week_cap is None else float(week_cap))


def _uncoverable(need, matrix):
    """Need no shape reaches, and the note naming it."""
    days = need.shape[0]
    reach = np.asarray(matrix.sum(axis=1)).reshape(days, SLOTS_PER_DAY) > 0
    uncoverable = (need > EPSILON) & ~reach
    notes = []
    if uncoverable.any():
        hours = need[uncoverable].sum() * SLOT_MINUTES / 60
        notes.append(
            f"{int(uncoverable.sum())} intervals ({hours:.1f} agent-hours of need) lie "
            "outside every shift template: no shift covers them, so they stay short. Add a "
            "template that covers them."
        )
    return reach, uncoverable, notes


def solve_cover(
    need,
    shapes: list[ShiftShape],
    *,
    day_caps=None,
    week_cap=None,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> Cover:
    """The fewest agent-hours of shifts covering `need` ((days, SLOTS_PER_DAY) agents), the
    team's agents working at most day_caps[d] shifts on day d and week_cap in the week,
    and open shifts beyond them.

    x[t, d] (integer) shifts of the team's agents on shape t, day d; o[t, d] open shifts
    of the same (no agent of the team can take them: overtime, another team or a hire
    fills them). Per slot, x + o give at least its need: every slot a shape reaches is
    covered, however small the team. An open shift's hours cost OPEN_PREMIUM more than an
    agent's, so the program takes an agent's shift wherever the caps leave one, and trades
    an open shift for no more than (1 + OPEN_PREMIUM) times its hours of agents' shifts.
    Slots no shape reaches are left out and reported as uncoverable. When shifts stay open,
    a second solve holds the open hours at that amount and minimises hours alone, so the
    lower bound is one on agent-hours (HiGHS's dual bound): no cover with as few open
    hours needs fewer."""
    started = time.perf_counter()
    need = np.asarray(need, dtype=float)
    days = need.shape[0]
    matrix = coverage_matrix(shapes, days)
    reach, uncoverable, notes = _uncoverable(need, matrix)
    rows = np.flatnonzero(((need > EPSILON) & reach).reshape(-1))
    columns = len(shapes) * days
    if not rows.size or not columns:
        counts = np.zeros((len(shapes), days), dtype=int)
        figures = {"lower_bound_hours": 0.0, "gap": 0.0, "status": "nothing to cover"}
        return _cover(shapes, counts, counts.copy(), need, matrix, uncoverable, notes=notes,
                      seconds=time.perf_counter() - started, **figures)  # fmt: skip
    day_caps, week_cap = _caps(days, day_caps, week_cap)
    hours = np.repeat([shape.hours for shape in shapes], days)
    column_day = np.tile(np.arange(days), len(shapes))
    covering = matrix[rows]
    starts_by_day = sparse.csc_array(
        (np.ones(columns), (column_day, np.arange(columns))), shape=(days, columns)
    )
    no_open = sparse.csc_array((days, columns))
    # Constraint rows: coverage per slot (agents' and open shifts alike), the agents'
    # shifts per day and in the week.
    coverage = LinearConstraint(sparse.hstack([covering, covering]), lb=need.reshape(-1)[rows])
    per_day = LinearConstraint(sparse.hstack([starts_by_day, no_open]), ub=day_caps)
    per_week = LinearConstraint(
        np.concatenate([np.ones(columns), np.zeros(columns)])[None, :], ub=week_cap
    )
    bounds = Bounds(
        np.zeros(2 * columns), np.concatenate([day_caps[column_day], np.full(columns, np.inf)])
    )
    integrality = np.ones(2 * columns)
    options = {"time_limit": time_limit, "disp": False}
    constraints = [coverage, per_day, per_week]
    objective = np.concatenate([hours, hours * (1 + OPEN_PREMIUM)])
    result = milp(objective, integrality=integrality, bounds=bounds, constraints=constraints,
                  options=options)  # fmt: skip
    if result.x is None:
        raise RuntimeError(f"The schedule solver found no schedule: {result.message}")
    open_hours = float(hours @ result.x[columns:])
    bound, status = result.mip_dual_bound, result.message
    if open_hours > EPSILON:
        # Hours alone, with the open hours held at what the first solve left.
        remaining = max(time_limit - (time.perf_counter() - started), 1.0)
        hold = LinearConstraint(np.concatenate([np.zeros(columns), hours])[None, :],
                                ub=open_hours + EPSILON)  # fmt: skip
        second = milp(
            np.concatenate([hours, hours]),
            integrality=integrality,
            bounds=bounds,
            constraints=[*constraints, hold],
            options={**options, "time_limit": remaining},
        )
        if second.x is not None:
            result, bound, status = second, second.mip_dual_bound, second.message
    solved = np.rint(result.x).astype(int)
    open_counts = solved[columns:].reshape(len(shapes), days)
    counts = solved[:columns].reshape(len(shapes), days) + open_counts
    cover = _cover(shapes, counts, open_counts, need, matrix, uncoverable, status=status,
                   notes=notes, seconds=time.perf_counter() - started)  # fmt: skip
    cover.lower_bound_hours = min(float(bound), cover.agent_hours) if bound is not None else None
    if cover.lower_bound_hours is not None and cover.agent_hours > 0:
        cover.gap = (cover.agent_hours - cover.lower_bound_hours) / cover.agent_hours
    return cover


def greedy_cover(need, shapes: list[ShiftShape], *, day_caps=None, week_cap=None) -> Cover:
    """The textbook heuristic to compare the program with: repeatedly add the shift that
    covers the most still-uncovered need per paid hour (an open one's hours priced like
    the program's, once the caps leave no agent for it), until nothing more is covered."""
    started = time.perf_counter()
    need = np.asarray(need, dtype=float)
    days = need.shape[0]
    matrix = coverage_matrix(shapes, days).toarray()
    _reach, uncoverable, _notes = _uncoverable(need, matrix)
    day_caps, week_cap = _caps(days, day_caps, week_cap)
    hours = np.repeat([shape.hours for shape in shapes], days)
    column_day = np.tile(np.arange(days), len(shapes))
    counts = np.zeros(matrix.shape[1], dtype=int)
    open_counts = np.zeros_like(counts)
    residual = need.reshape(-1).copy()
    while True:
        gain = np.minimum(matrix, np.maximum(residual, 0)[:, None]).sum(axis=0)
        used = np.bincount(column_day, weights=counts - open_counts, minlength=days)
        free = (used[column_day] < day_caps[column_day]) & ((counts - open_counts).sum() < week_cap)
        best = int(np.argmax(gain / (hours * np.where(free, 1, 1 + OPEN_PREMIUM))))
        if gain[best] <= EPSILON:
            break
        counts[best] += 1
        open_counts[best] += not free[best]
        residual -= matrix[:, best]
    shape = (len(shapes), days)
    return _cover(shapes, counts.reshape(shape), open_counts.reshape(shape), need,
                  sparse.csc_array(matrix), uncoverable, status="greedy",
                  seconds=time.perf_counter() - started)  # fmt: skip


def rest_conflicts(shapes: list[ShiftShape], days: int) -> list[tuple[int, int]]:
    """Pairs of columns (shape t on day d, shape u on day d + 1) one agent cannot both
    work: fewer than MIN_REST_HOURS between the first's end and the second's start."""
    pairs = []
    for first_index, first in enumerate(shapes):
        for second_index, second in enumerate(shapes):
            rest = 24 * 60 + second.start_minute - (first.start_minute + first.minutes)
            if rest < MIN_REST_HOURS * 60:
                pairs += [(first_index * days + day, second_index * days + day + 1)
                          for day in range(days - 1)]  # fmt: skip
    return pairs


@dataclass
class Assignment:
    """Who works which shift: (agent index, shape index, day) triples, and the shifts no
    agent was free for (counts per shape and day)."""

    assigned: list[tuple[int, int, int]]
    open_counts: np.ndarray
    seconds: float


def assign_shifts(counts, allowed, capacity, shapes: list[ShiftShape]) -> Assignment:
    """Give the shifts of `counts` (shapes x days) to agents: allowed[a, t, d] says agent a
    may work shape t on day d (no time off, no shift of theirs that day, rest kept to
    their existing shifts), capacity[a] how many more shifts they may work this week.

    A small integer program: y[a, t, d] binary; at most one shift a day per agent, at most
    counts[t, d] agents per shift, at most capacity[a] shifts per agent, never two shifts
    on consecutive days closer than MIN_REST_HOURS. It first fills as many shifts as it
    can, then keeps the busiest day's open shifts as few as it can (each is one more
    person that day: the agents take the days that need most), then evens out the load
    (the busiest agent works as few shifts as possible). The rest stay open."""
    started = time.perf_counter()
    counts = np.asarray(counts, dtype=int)
    allowed = np.asarray(allowed, dtype=bool) & (counts[None, :, :] > 0)
    shape_count, days = counts.shape
    agent_index, shape_index, day_index = np.nonzero(allowed)
    pairs = agent_index.size
    if not pairs:
        return Assignment([], counts.copy(), time.perf_counter() - started)
    column = shape_index * days + day_index
    agents = allowed.shape[0]
    variables = pairs + 2  # the y's, the largest load z, the most open shifts a day w
    ids = np.arange(pairs)
    blocks, upper = [], []

    def block(row_of_pair, row_count, ub, with_z=None):
        matrix = sparse.csr_array(
            (np.ones(pairs), (row_of_pair, ids)), shape=(row_count, variables)
        )
        if with_z is not None:
            matrix = matrix + sparse.csr_array(
                (np.full(row_count, with_z), (np.arange(row_count), np.full(row_count, pairs))),
                shape=(row_count, variables),
            )
        blocks.append(matrix)
        upper.append(ub)

    block(agent_index * days + day_index, agents * days, np.ones(agents * days))
    block(column, shape_count * days, counts.reshape(-1).astype(float))
    block(agent_index, agents, np.asarray(capacity, dtype=float))
    block(agent_index, agents, np.zeros(agents), with_z=-1.0)  # load - z <= 0
    # Open shifts of day d = its shifts - filled <= w, as -filled - w <= -shifts.
    per_day = counts.sum(axis=0)
    blocks.append(
        sparse.csr_array((np.full(pairs, -1.0), (day_index, ids)), shape=(days, variables))
        + sparse.csr_array(
            (np.full(days, -1.0), (np.arange(days), np.full(days, pairs + 1))),
            shape=(days, variables),
        )  # fmt: skip
    )
    upper.append(-per_day.astype(float))
    position = {(a, c): i for i, (a, c) in enumerate(zip(agent_index, column, strict=True))}
    conflict_rows, conflict_cols = [], []
    for first, second in rest_conflicts(shapes, days):
        for agent in range(agents):
            if (agent, first) in position and (agent, second) in position:
                row = len(conflict_rows) // 2
                conflict_rows += [row, row]
                conflict_cols += [position[(agent, first)], position[(agent, second)]]
    if conflict_rows:
        count = conflict_rows[-1] + 1
        blocks.append(sparse.csr_array((np.ones(len(conflict_rows)), (conflict_rows, conflict_cols)),
                                       shape=(count, variables)))  # fmt: skip
        upper.append(np.ones(count))
    # Every filled shift outweighs any change of w, and one open shift less on the busiest
    # day any change of the largest load.
    most = float(per_day.max())
    objective = np.concatenate([np.full(pairs, -(days + 1.0) * (most + 1)), [1.0, days + 1.0]])
    result = milp(
        objective,
        integrality=np.ones(variables),
        bounds=Bounds(np.zeros(variables), np.concatenate([np.ones(pairs), [days, most]])),
        constraints=[LinearConstraint(sparse.vstack(blocks), ub=np.concatenate(upper))],
        options={"time_limit": TIME_LIMIT_SECONDS, "disp": False},
    )
    if result.x is None:
        raise RuntimeError(f"The assignment found no answer: {result.message}")
    chosen = np.rint(result.x[:pairs]).astype(bool)
    assigned = list(zip(agent_index[chosen].tolist(), shape_index[chosen].tolist(),
                        day_index[chosen].tolist(), strict=True))  # fmt: skip
    filled = np.zeros_like(counts)
    np.add.at(filled, (shape_index[chosen], day_index[chosen]), 1)
    return Assignment(assigned, counts - filled, time.perf_counter() - started)


def coverage_of(placements, days: int) -> np.ndarray:
    """(days, SLOTS_PER_DAY) productive agents of shifts placed as (day, shape) pairs,
    each shape starting at its own start_minute (a proposal after edits)."""
    coverage = np.zeros(days * SLOTS_PER_DAY)
    for day, shape in placements:
        profile = shape.profile()
        slots = day * SLOTS_PER_DAY + shape.start_minute // SLOT_MINUTES + np.arange(profile.size)
        kept = (slots >= 0) & (slots < coverage.size)
        np.add.at(coverage, slots[kept], profile[kept])
    return coverage.reshape(days, SLOTS_PER_DAY)
