"""Reads of schedule proposals: a draft on a week grid beside the team's schedule, and
its coverage per interval (required, scheduled before, proposed, after)."""

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.db.models import Prefetch, Q
from django.utils import timezone

from agents.models import Agent, Team
from core.localtime import local_days, zone
from forecasting.history import interval_grid
from kpis import charts
from scheduling import selectors as schedule_reads
from scheduling import services as schedules
from scheduling.models import Shift, ShiftActivity, TimeOff, TimeOffStatus
from staffing import services
from staffing.models import ProposalMode, ProposedShift, ScheduleProposal
from staffing.proposals import (
    MAX_SHIFTS_PER_WEEK,
    SLOT_MINUTES,
    SLOTS_PER_DAY,
    ShiftShape,
    coverage_of,
)


def proposals_of(team: Team, week: date):
    return ScheduleProposal.objects.filter(team=team, week=week).select_related(
        "created_by", "decided_by"
    )


def proposed_shifts(proposal: ScheduleProposal) -> list[ProposedShift]:
    return list(
        proposal.shifts.select_related("agent", "template", "proposal").prefetch_related(
            "template__activities"
        )
    )


@dataclass
class ProposedView:
    proposed: ProposedShift
    label: str
    hours: float
    segments: list[dict] = field(default_factory=list)
    activities: str = ""


def proposed_view(proposed: ProposedShift) -> ProposedView:
    start, end = timezone.localtime(proposed.start), timezone.localtime(proposed.end)
    length = (proposed.end - proposed.start).total_seconds()
    spans = services.proposed_spans(proposed)
    segments = [
        {
            "kind": span.kind,
            "left": 100 * (span.start - proposed.start).total_seconds() / length,
            "width": 100 * (span.end - span.start).total_seconds() / length,
            "title": f"{span.kind} {timezone.localtime(span.start):%H:%M}"
            f"–{timezone.localtime(span.end):%H:%M}",
        }
        for span in schedules.plan_activities(proposed.start, proposed.end, spans)
    ]
    activities = "; ".join(
        f"{span.kind} {timezone.localtime(span.start):%H:%M}-{timezone.localtime(span.end):%H:%M}"
        for span in spans
    )
    return ProposedView(proposed, f"{start:%H:%M}–{end:%H:%M}", length / 3600, segments, activities)


def grid(proposal: ScheduleProposal, shifts: list[ProposedShift]) -> dict:
    """The week as the team's schedule lays it out: a row per agent (the team's active
    agents and anyone the draft names), their shifts already scheduled and the proposed
    ones in each day's cell, then the open shifts, the k-th of each day in the row whose
    `open` is k. On a re-plan the shifts it would replace (the team's shifts of the week) are
    the cells' `replaced`. `open_by_day`: each day's open shifts."""
    week = proposal.week
    days = [week + timedelta(days=offset) for offset in range(7)]
    start, end = local_days(week, 7)
    named = {shift.agent_id for shift in shifts if shift.agent_id}
    agents = list(
        Agent.objects.filter(Q(team=proposal.team, active=True) | Q(pk__in=named)).order_by(
            "display_name", "login"
        )
    )
    existing = (
        Shift.objects.filter(agent__in=agents, start__gte=start, start__lt=end)
        .select_related("agent", "team")
        .prefetch_related(Prefetch("activities", queryset=ShiftActivity.objects.order_by("start")))
    )
    by_pk = {agent.pk: agent for agent in agents}
    cells: dict[tuple, dict] = {}

    def cell(agent_id, day):
        return cells.setdefault(
            (agent_id, day), {"scheduled": [], "replaced": [], "proposed": [], "time_off": []}
        )

    replacing = proposal.mode == ProposalMode.REPLAN
    for shift in existing:
        kind = "replaced" if replacing and shift.team_id == proposal.team_id else "scheduled"
        cell(shift.agent_id, timezone.localtime(shift.start).date())[kind].append(
            schedule_reads.shift_view(shift)
        )
    # Open shifts in rows of at most one a day, the k-th of each day (by start) in the
    # k-th: as many rows as the busiest day has open shifts, the fewest extra people.
    open_on: dict[date, int] = {}
    for proposed in sorted(shifts, key=lambda shift: shift.start):
        day = timezone.localtime(proposed.start).date()
        row = proposed.agent_id
        if row is None:
            open_on[day] = open_on.get(day, 0) + 1
            row = -open_on[day]
        cell(row, day)["proposed"].append(proposed_view(proposed))
    away = TimeOff.objects.filter(
        agent__in=agents, status=TimeOffStatus.APPROVED, start__lt=end, end__gt=start
    )
    # Each time off on the local days it overlaps: the week's day boundaries once,
    # each row's first and last day found by bisection.
    bounds = [local_days(day)[0] for day in days] + [end]
    for off in away:
        first = max(bisect_right(bounds, off.start) - 1, 0)
        last = min(bisect_left(bounds, off.end), len(days))
        for day in days[first:last]:
            cell(off.agent_id, day)["time_off"].append(off)
    rows = []
    open_rows = [-k for k in range(1, max(open_on.values(), default=0) + 1)]
    for key in [*(agent.pk for agent in agents), *open_rows]:
        row_cells = [{"day": day, **cell(key, day)} for day in days]
        proposed_hours = sum(v.hours for c in row_cells for v in c["proposed"])
        scheduled_hours = sum(v.hours for c in row_cells for v in (*c["scheduled"], *c["replaced"]))
        rows.append({"agent": by_pk.get(key), "open": -key if key < 0 else None,
                     "cells": row_cells, "proposed_hours": proposed_hours,
                     "scheduled_hours": scheduled_hours})  # fmt: skip
    totals = [
        {"day": day, "shifts": sum(len(row["cells"][i]["proposed"]) for row in rows),
         "hours": sum(v.hours for row in rows for v in row["cells"][i]["proposed"])}
        for i, day in enumerate(days)
    ]  # fmt: skip
    return {"days": days, "rows": rows, "totals": totals,
            "open_by_day": [open_on.get(day, 0) for day in days]}  # fmt: skip


def open_shifts(shifts: list[ProposedShift], days: list[date], open_by_day: list[int]) -> dict:
    """The draft's open shifts as it stands, as head count: their number and paid hours;
    `week_hours`, one agent's full week (MAX_SHIFTS_PER_WEEK shifts of the open shifts'
    mean length); `agent_weeks`, the open hours over it; `busiest`, the most open shifts
    on one day, `busiest_day` (each a different person: a shift a day); and `agents`, the people it
    takes: the agent-weeks rounded up, or the busiest day's open shifts if more."""
    hours = [(shift.end - shift.start).total_seconds() / 3600 for shift in shifts
             if shift.agent_id is None]  # fmt: skip
    if not hours:
        return {"count": 0, "hours": 0.0}
    week_hours = MAX_SHIFTS_PER_WEEK * sum(hours) / len(hours)
    agent_weeks = sum(hours) / week_hours
    busiest = max(open_by_day)
    return {
        "count": len(hours),
        "hours": sum(hours),
        "shift_hours": sum(hours) / len(hours),
        "week_hours": week_hours,
        "agent_weeks": agent_weeks,
        "busiest": busiest,
        "busiest_day": days[open_by_day.index(busiest)],
        "agents": max(math.ceil(agent_weeks - 1e-9), busiest),
    }


def _shape(proposed: ProposedShift) -> ShiftShape:
    """The proposed shift as it stands (after edits) for coverage: its local start, its
    length, its activities where they fall."""
    start = timezone.localtime(proposed.start)
    spans = services.proposed_spans(proposed)
    return ShiftShape(
        key=proposed.template_id or 0,
        name="",
        start_minute=start.hour * 60 + start.minute,
        minutes=int((proposed.end - proposed.start).total_seconds() // 60),
        away=tuple(
            (
                int((span.start - proposed.start).total_seconds() // 60),
                int((span.end - span.start).total_seconds() // 60),
            )
            for span in spans
        ),  # fmt: skip
    )


def coverage(proposal: ScheduleProposal, shifts: list[ProposedShift]) -> dict:
    """Per local 15-minute interval of the week (interval_grid's: 92, 96 or 100 a day, as
    the coverage page): the requirement the proposal was made for, the agents scheduled
    then, those that stay (on a fill, all of them; on a re-plan, other teams' agents),
    those the draft adds (as it stands now), and after = stay + proposed; the totals in
    agent-hours (a quarter hour of one agent is 0.25), sums of the rows."""
    summary = proposal.summary
    required = np.asarray(summary.get("required") or np.zeros((7, SLOTS_PER_DAY)), dtype=float)
    before = np.asarray(summary.get("scheduled_before") or np.zeros_like(required), dtype=float)
    kept = np.asarray(summary.get("kept") or before, dtype=float)
    placements = [
        ((timezone.localtime(shift.start).date() - proposal.week).days, _shape(shift))
        for shift in shifts
    ]
    added = coverage_of(placements, 7)
    # From the solver's wall-clock grid to the week's real intervals: a spring-forward
    # day has no 02:00 hour, a fall-back day's repeated hour reads its slot twice.
    epochs, day_index, slots = interval_grid(proposal.week, 7)
    flat = {key: values[day_index, slots] for key, values in (
        ("required", required), ("before", before), ("kept", kept), ("proposed", added))}  # fmt: skip
    flat["after"] = flat["kept"] + flat["proposed"]
    hours = SLOT_MINUTES / 60
    totals = {
        "required": flat["required"].sum() * hours,
        "before": flat["before"].sum() * hours,
        "kept": flat["kept"].sum() * hours,
        "proposed": flat["proposed"].sum() * hours,
        "short_before": np.maximum(flat["required"] - flat["before"], 0).sum() * hours,
        "over_before": np.maximum(flat["before"] - flat["required"], 0).sum() * hours,
        "short_after": np.maximum(flat["required"] - flat["after"], 0).sum() * hours,
        "over_after": np.maximum(flat["after"] - flat["required"], 0).sum() * hours,
    }
    center = zone()
    starts = [datetime.fromtimestamp(int(epoch), center) for epoch in epochs]
    # The clocks change on a day with other than 96 intervals: its rows show the offset.
    clock_change = np.bincount(day_index, minlength=7)[day_index] != SLOTS_PER_DAY
    rows = [
        {"start": start, **{key: float(values[i]) for key, values in flat.items()},
         "gap": float(flat["after"][i] - flat["required"][i]),
         "clock_change": bool(clock_change[i])}
        for i, start in enumerate(starts)
    ]  # fmt: skip
    return {"totals": totals, "rows": rows, "chart": _chart(starts, flat)}


def _chart(starts, flat) -> dict:
    labels = [start.isoformat() for start in starts]
    series = [("Required", "required", charts.PALETTE[5], "hv", None),
              ("Scheduled before", "before", charts.PALETTE[4], "hv", "dot"),
              ("After the proposal", "after", charts.PALETTE[0], "hv", None)]  # fmt: skip
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x": labels,
                "y": np.round(flat[key], 3).tolist(),
                "line": {
                    "color": colour,
                    "shape": shape,
                    "width": 2,
                    **({"dash": dash} if dash else {}),
                },
            }
            for name, key, colour, shape, dash in series
        ],  # fmt: skip
        "layout": charts._layout(
            "Agents per 15 minutes",
            yaxis={"title": {"text": "agents"}, "rangemode": "tozero", "gridcolor": "#e4e9f0"},
        ),
    }
