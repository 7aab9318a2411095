"""Writes of staffing: schedule proposals (propose, edit a draft, apply, reject).

A proposal is made in one of two modes (ProposalMode):

- fill: it covers what the week's existing schedule leaves short (the requirement minus
  the agents already scheduled in each interval), for the team's active agents who are
  still free (no approved time off, no shift that day, rest kept to their shifts around
  it), and apply adds its shifts;
- replan: it replaces the team's own shifts of the week: it covers the requirement minus
  what other teams' agents with the skills cover, every active agent of the team without
  approved time off is available, and apply deletes the team's shifts of the week and
  writes the proposal's in one transaction.

Either way it covers every interval a shift template reaches: shifts beyond what the
team's agents can work (a shift a day, five a week, 11 hours' rest) are open shifts, with
no agent, listed on the proposal and never written to a schedule.

Applying goes through scheduling.services, whose rules decide: one broken rule and
nothing is written. Only managers and the team's supervisors may propose, edit, apply or
reject.
"""

from datetime import date, datetime, time, timedelta

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateTimeField, F, Sum, Value
from django.utils import timezone

from agents import access
from agents.models import Agent, Team
from core.localtime import at_local, local_days
from forecasting.history import interval_grid
from interactions.outcomes import Seconds
from scheduling import services as schedules
from scheduling.models import (
    ActivityKind,
    Shift,
    ShiftTemplate,
    TimeOff,
    TimeOffStatus,
)
from staffing import proposals, selectors
from staffing.models import ProposalMode, ProposalStatus, ProposedShift, ScheduleProposal
from staffing.proposals import SLOTS_PER_DAY, ShiftShape

DAYS = 7
# The requirement a proposal covers: Erlang A's agents, as the coverage page shows by
# default (callers do hang up; Erlang C would overstaff).
REQUIREMENT_MODEL = "erlang_a"


def check_may_plan(user, team: Team) -> None:
    """Managers, and supervisors of this team; anyone else is refused."""
    if not access.can_edit_team(user, team):
        raise PermissionDenied("Only managers and this team's supervisors plan its schedule.")


def template_shapes(templates) -> list[ShiftShape]:
    """The templates as the solver sees them (every activity but work leaves the phones)."""
    return [
        ShiftShape(
            key=template.pk,
            name=template.name,
            start_minute=template.start_time.hour * 60 + template.start_time.minute,
            minutes=template.minutes,
            away=tuple(
                (activity.offset_minutes, activity.minutes)
                for activity in template.activities.all()
                if activity.kind != ActivityKind.WORK
            ),
        )  # fmt: skip
        for template in templates
    ]


def on_week_grid(values, week: date) -> np.ndarray:
    """Values on interval_grid's intervals of the week (92, 96 or 100 a day) laid on
    (7 days, 96 wall-clock slots), the solver's grid: a fall-back day's two 01:00
    intervals take the larger value, a spring-forward day's missing 02:00 slots are 0."""
    _starts, day_index, slots = interval_grid(week, DAYS)
    grid = np.zeros((DAYS, SLOTS_PER_DAY))
    np.maximum.at(grid, (day_index, slots), np.asarray(values, dtype=float))
    return grid


def team_shifts(team: Team, week: date):
    """The shifts planned for the team (Shift.team) that start in the week: what a
    re-plan replaces."""
    begin, end = local_days(week, DAYS)
    return Shift.objects.filter(team=team, start__gte=begin, start__lt=end)


def team_need(team: Team, week: date, model: str = REQUIREMENT_MODEL):
    """(required, scheduled, others) on the week grid for the team's queues: the agents
    the stored forecast needs on contacts (staffing.selectors.requirement, summed over the
    queues like the coverage page's team view); the agents the schedules already put on
    them (selectors.scheduled_agents: productive time of every agent with a queue's
    skill, whatever their team, so a queue two teams serve is short only by what neither
    has scheduled); and of those, the ones on shifts planned for other teams (what stays
    when the team's week is re-planned)."""
    queues = list(team.queues.all())
    required = selectors.requirement(queues, week, DAYS).total()["agents"][model]
    scheduled = selectors.scheduled_agents(queues, week, DAYS)
    own = selectors.scheduled_agents(queues, week, DAYS, team=team)
    return tuple(on_week_grid(values, week) for values in (required, scheduled, scheduled - own))


def _candidates(shapes, week: date) -> tuple[np.ndarray, np.ndarray]:
    """Epoch start and end of every (shape, day) of the week, (shapes, days) each."""
    starts = np.array(
        [
            [
                at_local(
                    week + timedelta(days=day),
                    time(shape.start_minute // 60, shape.start_minute % 60),
                ).timestamp()
                for day in range(DAYS)
            ]  # fmt: skip
            for shape in shapes
        ]
    ).reshape(len(shapes), DAYS)
    ends = starts + np.array([shape.minutes * 60 for shape in shapes])[:, None]
    return starts, ends


def _spans(rows, origin, agent_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(agent index, start, end) of rows with agent_id, start and end: the seconds from
    `origin` computed in SQL, each agent's index its place in agent_ids."""
    base = Value(origin, output_field=DateTimeField())
    values = np.array(
        list(rows.annotate(s=Seconds(base, F("start")), e=Seconds(base, F("end")))
             .values_list("agent_id", "s", "e").order_by()),
        dtype=float,
    ).reshape(-1, 3)  # fmt: skip
    sorter = np.argsort(agent_ids)
    who = sorter[np.searchsorted(agent_ids, values[:, 0], sorter=sorter)]
    return who, values[:, 1], values[:, 2]


def availability(
    agents: list[Agent], shapes, week: date, replaced=None
) -> tuple[np.ndarray, np.ndarray]:
    """allowed[a, t, d]: agent a may work shape t on day d (no approved time off in it, no
    shift of theirs that day, MIN_REST_HOURS kept to their shifts before and after);
    capacity[a]: shifts they may still take this week (MAX_SHIFTS_PER_WEEK less theirs).
    Shifts in `replaced` (a queryset: the team's week, on a re-plan) do not count. Two
    queries; numpy compares every shift and time off with every candidate at once."""
    first, last = local_days(week, DAYS)
    origin = first.timestamp()
    cand_start, cand_end = (epochs - origin for epochs in _candidates(shapes, week))
    agent_ids = np.array([agent.pk for agent in agents], dtype=float)
    rest = timedelta(hours=proposals.MIN_REST_HOURS)
    shifts = Shift.objects.filter(agent__in=agents, start__lt=last + rest, end__gt=first - rest)
    if replaced is not None:
        shifts = shifts.exclude(pk__in=replaced.values("pk"))
    time_off = TimeOff.objects.filter(
        agent__in=agents, status=TimeOffStatus.APPROVED, start__lt=last, end__gt=first
    )
    blocked = np.zeros((len(agents), len(shapes), DAYS), dtype=bool)
    shift_who, shift_start, shift_end = _spans(shifts, first, agent_ids)
    pad = rest.total_seconds()
    for who, begin, finish in (
        (shift_who, shift_start - pad, shift_end + pad),
        _spans(time_off, first, agent_ids),
    ):
        clash = (begin[:, None, None] < cand_end) & (finish[:, None, None] > cand_start)
        np.logical_or.at(blocked, who, clash)
    # At most one shift a local day: a day holding one of theirs is taken.
    day_bounds = np.array(
        [local_days(week + timedelta(days=day))[0].timestamp() - origin for day in range(DAYS + 1)]
    )
    day = np.searchsorted(day_bounds, shift_start, side="right") - 1
    in_week = (day >= 0) & (day < DAYS)
    blocked[shift_who[in_week], :, day[in_week]] = True
    capacity = proposals.MAX_SHIFTS_PER_WEEK - np.bincount(
        shift_who[in_week], minlength=len(agents)
    )
    return ~blocked, np.clip(capacity, 0, None)


def _caps(allowed, capacity) -> tuple[np.ndarray, int]:
    """Shifts the team's free agents can work: per day, and in the week."""
    free_days = allowed.any(axis=1)  # (agents, days)
    return free_days.sum(axis=0), int(np.minimum(free_days.sum(axis=1), capacity).sum())


def propose(*, team: Team, week: date, by, mode: str = ProposalMode.FILL) -> ScheduleProposal:
    """A draft proposal for the team's week against the stored forecast's requirement."""
    check_may_plan(by, team)
    if mode not in ProposalMode.values:
        raise ValidationError({"mode": f"Choose one of: {', '.join(ProposalMode.values)}."})
    required, scheduled, others = team_need(team, week)
    if not required.any():
        raise ValidationError(
            f"Nothing is required of {team} in the week of {week:%d %b %Y}: no contacts are "
            "forecast for its queues (see the Forecast page)."
        )
    kept = others if mode == ProposalMode.REPLAN else scheduled
    return propose_for(team=team, week=week, required=required, scheduled=scheduled, by=by,
                       mode=mode, kept=kept)  # fmt: skip


@transaction.atomic
def propose_for(
    *, team: Team, week: date, required, scheduled, by, mode=ProposalMode.FILL, kept=None
) -> ScheduleProposal:
    """A draft proposal covering `required` less `kept` ((7, 96) agents each, on the week
    grid): on a fill, kept is everything `scheduled`; on a re-plan, what other teams'
    shifts cover (the team's own shifts of the week are replaced, and its agents are
    free of them). It covers every interval a shift template reaches: the shifts the
    team's agents cannot take are open (ProposedShift.agent empty), to be filled by
    overtime, another team or hiring. Earlier drafts of the team's week are rejected: one
    draft at a time."""
    check_may_plan(by, team)
    required = np.asarray(required, dtype=float)
    before = np.asarray(scheduled, dtype=float)
    kept = before if kept is None else np.asarray(kept, dtype=float)
    need = np.maximum(required - kept, 0)
    replaced = team_shifts(team, week) if mode == ProposalMode.REPLAN else None
    templates = ShiftTemplate.objects.prefetch_related("activities")
    shapes = proposals.with_break_delays(template_shapes(templates), proposals.BREAK_DELAYS)
    agents = list(Agent.objects.filter(team=team, active=True).order_by("display_name", "login"))
    allowed, capacity = availability(agents, shapes, week, replaced)
    day_caps, week_cap = _caps(allowed, capacity)
    cover = proposals.solve_cover(need, shapes, day_caps=day_caps, week_cap=week_cap)
    greedy = proposals.greedy_cover(need, shapes, day_caps=day_caps, week_cap=week_cap)
    assignment = proposals.assign_shifts(cover.counts, allowed, capacity, shapes)
    ScheduleProposal.objects.filter(team=team, week=week, status=ProposalStatus.DRAFT).update(
        status=ProposalStatus.REJECTED, decided_by=by, decided_at=timezone.now()
    )
    proposal = ScheduleProposal.objects.create(
        team=team,
        week=week,
        mode=mode,
        created_by=by,
        agent_hours=cover.agent_hours,
        lower_bound_hours=cover.lower_bound_hours,
        solver_status=cover.status[:255],
        solve_seconds=cover.seconds,
    )
    cand_start, _ = _candidates(shapes, week)
    planned = [(agents[a], t, d) for a, t, d in assignment.assigned]
    planned += [(None, t, d) for t, d in np.argwhere(assignment.open_counts)
                for _ in range(assignment.open_counts[t, d])]  # fmt: skip
    rows = []
    for agent, shape_index, day in planned:
        start = datetime.fromtimestamp(
            cand_start[shape_index, day], tz=timezone.get_default_timezone()
        )
        shape = shapes[shape_index]
        rows.append(ProposedShift(proposal=proposal, agent=agent, template_id=shape.key,
                                  start=start, end=start + timedelta(minutes=shape.minutes),
                                  break_delay_minutes=shape.break_delay))  # fmt: skip
    ProposedShift.objects.bulk_create(rows)
    replaced_ids = sorted(replaced.values_list("pk", flat=True)) if replaced is not None else []
    proposal.summary = {
        "model": REQUIREMENT_MODEL,
        "required": np.round(required, 4).tolist(),
        "scheduled_before": np.round(before, 4).tolist(),
        "kept": np.round(kept, 4).tolist(),
        "replaces": replaced_ids,
        "replaced_hours": _hours(replaced),
        "notes": cover.notes,
        "gap": cover.gap,
        "shortfall_hours": cover.shortfall_hours,
        "uncoverable_intervals": int(cover.uncoverable.sum()),
        "greedy_hours": greedy.agent_hours,
        "greedy_open_hours": greedy.open_hours,
        "greedy_shortfall_hours": greedy.shortfall_hours,
        "assign_seconds": assignment.seconds,
        "agents": len(agents),
        "open_shifts": int(assignment.open_counts.sum()),
        "open_hours": float(([s.hours for s in shapes] @ assignment.open_counts).sum()),
    }
    proposal.save(update_fields=["summary"])
    return proposal


def _hours(shifts) -> float:
    """Paid hours of the shifts (a queryset, or None: 0), summed in SQL."""
    if shifts is None:
        return 0.0
    total = shifts.aggregate(seconds=Sum(Seconds(F("start"), F("end"))))["seconds"]
    return (total or 0.0) / 3600


def proposed_spans(proposed: ProposedShift) -> list[schedules.Span]:
    """The template's breaks and other activities placed in this proposed shift (moved
    with its start, and by the stagger the solver chose)."""
    if proposed.template is None:
        return []
    begin = proposed.start + timedelta(minutes=proposed.break_delay_minutes)
    return [
        schedules.Span(activity.kind, begin + timedelta(minutes=activity.offset_minutes),
                       begin + timedelta(minutes=activity.offset_minutes + activity.minutes))
        for activity in proposed.template.activities.all()
        if activity.kind != ActivityKind.WORK
    ]  # fmt: skip


def _draft(proposal: ScheduleProposal) -> ScheduleProposal:
    """The proposal locked for this transaction, still a draft (or a refusal)."""
    locked = ScheduleProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ProposalStatus.DRAFT:
        raise ValidationError(f"This proposal was already {locked.get_status_display().lower()}.")
    return locked


def _proposal_clashes(proposed: ProposedShift, agent: Agent, start, end) -> list[str]:
    """The agent's other proposed shifts of this proposal this one would overlap or share
    a local day with."""
    day = timezone.localtime(start).date()
    others = ProposedShift.objects.filter(proposal_id=proposed.proposal_id, agent=agent).exclude(
        pk=proposed.pk
    )
    return [
        f"{agent}: already proposed {schedules.describe(other.start, other.end)}."
        for other in others
        if (other.start < end and other.end > start)
        or timezone.localtime(other.start).date() == day
    ]


@transaction.atomic
def proposed_shift_update(
    *, proposed: ProposedShift, agent: Agent | None, start, by
) -> ProposedShift:
    """Give a draft's shift another agent (or none: open) or another start; its length
    and activities move with it. Checked now against the schedule rules and the
    agent's other proposed shifts, and again when the proposal is applied."""
    check_may_plan(by, proposed.proposal.team)
    _draft(proposed.proposal)
    end = start + (proposed.end - proposed.start)
    if agent is not None:
        if agent.team_id != proposed.proposal.team_id or not agent.active:
            raise ValidationError(f"{agent} is not an active agent of {proposed.proposal.team}.")
        moved = ProposedShift(pk=proposed.pk, proposal=proposed.proposal, template=proposed.template,
                              start=start, end=end)  # fmt: skip
        errors = schedules.shift_rule_errors(agent=agent, start=start, end=end,
                                             spans=proposed_spans(moved))  # fmt: skip
        errors += _proposal_clashes(proposed, agent, start, end)
        if errors:
            raise ValidationError(errors)
    proposed.agent, proposed.start, proposed.end = agent, start, end
    proposed.save(update_fields=["agent", "start", "end"])
    return proposed


@transaction.atomic
def proposed_shift_delete(*, proposed: ProposedShift, by) -> None:
    check_may_plan(by, proposed.proposal.team)
    _draft(proposed.proposal)
    proposed.delete()


@transaction.atomic
def apply(*, proposal: ScheduleProposal, by) -> list[Shift]:
    """Write the proposal's shifts with agents through the schedule's rules, all or none:
    every broken rule is named and nothing is written. Open shifts are not written (they
    stay on the proposal, for a supervisor to place by hand). A re-plan first deletes the
    team's shifts of the week (scheduling's shift_delete), the ones it was made against:
    if they changed since, it is refused (propose again)."""
    check_may_plan(by, proposal.team)
    proposal = _draft(proposal)
    replaced = []
    if proposal.mode == ProposalMode.REPLAN:
        # The team's agents' rows first, in id order as scheduling.services takes them, so
        # no shift of theirs is written meanwhile; then the week's shifts as they stand.
        team_agents = Agent.objects.filter(team=proposal.team)
        list(team_agents.select_for_update().order_by("pk").values_list("pk"))
        replaced = list(team_shifts(proposal.team, proposal.week).select_related("agent"))
        if sorted(shift.pk for shift in replaced) != sorted(proposal.summary.get("replaces", [])):
            raise ValidationError(
                f"{proposal.team}'s shifts of the week changed since this proposal was made: "
                "propose again to re-plan the week as it is now."
            )
    chosen = list(
        proposal.shifts.filter(agent__isnull=False)
        .select_related("agent", "proposal")
        .prefetch_related("template__activities")
    )
    plans = [(shift.agent, shift.start, shift.end, proposed_spans(shift)) for shift in chosen]
    errors = [
        f"{agent} is no longer an active agent of {proposal.team}."
        for agent in {plan[0] for plan in plans}
        if agent.team_id != proposal.team_id or not agent.active
    ]
    ignored = [shift.pk for shift in replaced]
    for index, (agent, start, end, spans) in enumerate(plans):
        errors += schedules.shift_rule_errors(agent=agent, start=start, end=end, spans=spans,
                                              ignore_shift_ids=ignored)  # fmt: skip
        errors += [
            f"{agent}: {schedules.describe(start, end)} overlaps "
            f"{schedules.describe(other_start, other_end)}, also proposed."
            for other, other_start, other_end, _spans in plans[:index]
            if other.pk == agent.pk and other_start < end and other_end > start
        ]
    if errors:
        raise ValidationError(errors)
    for shift in replaced:
        schedules.shift_delete(shift=shift, by=by)
    note = f"Proposal {proposal.pk}"
    created = [
        schedules.shift_create(agent=agent, start=start, end=end, spans=spans, note=note, by=by)
        for agent, start, end, spans in plans
    ]
    proposal.status, proposal.decided_by, proposal.decided_at = (
        ProposalStatus.APPLIED, by, timezone.now()
    )  # fmt: skip
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    return created


@transaction.atomic
def reject(*, proposal: ScheduleProposal, by) -> ScheduleProposal:
    check_may_plan(by, proposal.team)
    proposal = _draft(proposal)
    proposal.status, proposal.decided_by, proposal.decided_at = (
        ProposalStatus.REJECTED, by, timezone.now()
    )  # fmt: skip
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    return proposal
