"""Schedule proposal benchmark: a 40-agent team's week from the demo's shift templates.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/contactcenter python bench/proposal.py

On its own database (<name>_bench, created and dropped here). The requirement has the
demo's shape (07:00-20:00 on weekdays with a morning and an afternoon peak, a Monday
peak, a light weekend 09:00-17:00) sized for 40 agents working five shifts each. Timed:
the whole `propose_for` (availability, the integer program, the greedy cover beside
it, the assignment to agents, storing the draft) and its parts, then `apply` (every
shift with an agent written through the schedule's rules; open shifts are not). The integer program alone is also run with
a richer set of templates (starts every half hour 06:00-14:00, 8.5 and 6 hours) to show
how it scales. A Markdown table is printed for docs/benchmarks.md.

    DATABASE_URL=sqlite:////path/to/demo.sqlite3 python bench/proposal.py --demo [TEAM]

On a seeded demo database instead (nothing kept: everything runs in a transaction that
is rolled back): the team's (Care North's) next week and the week after proposed in both modes, fill
the gap and re-plan the week, with short and over agent-hours before and after, the
shifts and hours proposed and replaced, the open shifts and the agents they represent,
and the times of propose and apply.
"""

import os
import sys
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import create_bench_database, drop_bench_database  # noqa: E402 (after the path above)

AGENTS = 40
WEEK = date(2026, 6, 22)  # a Monday
BREAKS = (("break", 105, 15), ("lunch", 210, 30), ("break", 360, 15))
HOURLY = {7: 0.5, 8: 0.9, 9: 1.1, 10: 1.2, 11: 1.15, 12: 0.95, 13: 0.95, 14: 1.1, 15: 1.1,
          16: 1.0, 17: 0.75, 18: 0.45, 19: 0.25}  # fmt: skip
WEEKDAY = [1.25, 1.05, 1.0, 0.97, 0.9, 0.25, 0.15]
PEAK = 14  # agents on contacts at an average weekday's busiest hour


def requirement() -> np.ndarray:
    need = np.zeros((7, 96))
    for day, factor in enumerate(WEEKDAY):
        for hour, share in HOURLY.items():
            if day < 5 or 9 <= hour < 17:
                need[day, hour * 4 : hour * 4 + 4] = np.ceil(PEAK * share * factor)
    return need


def setup():
    from agents.models import Agent, Team
    from scheduling.models import ShiftTemplate, ShiftTemplateActivity

    team = Team.objects.create(name="Bench team")
    Agent.objects.bulk_create(Agent(login=f"b{n:03d}", team=team) for n in range(AGENTS))
    for name, start in (("Early", clock(7)), ("Day", clock(9)), ("Late", clock(11, 30))):
        template = ShiftTemplate.objects.create(name=name, start_time=start, minutes=510)
        ShiftTemplateActivity.objects.bulk_create(
            ShiftTemplateActivity(template=template, kind=kind, offset_minutes=o, minutes=m)
            for kind, o, m in BREAKS
        )
    from django.contrib.auth import get_user_model

    return team, get_user_model().objects.create_superuser("bench", "b@example.com", "x")


def rich_shapes():
    from staffing import proposals

    away = tuple((offset, minutes) for _kind, offset, minutes in BREAKS)
    shapes = [
        proposals.ShiftShape(
            index,
            f"{start // 60:02d}:{start % 60:02d} {length}",
            start,
            length,
            away if length > 400 else ((120, 15),),
        )  # fmt: skip
        for index, (start, length) in enumerate(
            (start, length) for start in range(6 * 60, 14 * 60 + 1, 30) for length in (510, 360)
        )
    ]
    return proposals.with_break_delays(shapes, proposals.BREAK_DELAYS)


def main():
    try:
        create_bench_database()
        from staffing import proposals, services

        team, user = setup()
        need = requirement()
        zeros = np.zeros_like(need)
        started = time.perf_counter()
        proposal = services.propose_for(team=team, week=WEEK, required=need, scheduled=zeros,
                                        by=user)  # fmt: skip
        propose_ms = (time.perf_counter() - started) * 1000
        shifts = proposal.shifts.count()
        started = time.perf_counter()
        services.apply(proposal=proposal, by=user)
        apply_ms = (time.perf_counter() - started) * 1000
        summary = proposal.summary
        rich = rich_shapes()
        cover = proposals.solve_cover(need, rich, day_caps=[AGENTS] * 7, week_cap=5 * AGENTS)
        greedy = proposals.greedy_cover(need, rich, day_caps=[AGENTS] * 7, week_cap=5 * AGENTS)
        print(f"\nPostgreSQL, {os.cpu_count()} cores, {AGENTS} agents, need "
              f"{need.sum() / 4:.0f} agent-hours on contacts\n")  # fmt: skip
        print("| templates (x 4 break staggers) | columns | shifts (open) | agent-hours (open) | "
              "lower bound | gap | left short | greedy cover (open) | solve | assignment | "
              "whole `propose_for` | `apply` |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| demo's 3 | {len(services.template_shapes(setup_templates())) * 4 * 7 * 2} | "
              f"{shifts} ({summary['open_shifts']}) | {proposal.agent_hours:.1f} "
              f"({summary['open_hours']:.1f}) | {proposal.lower_bound_hours:.1f} | "
              f"{100 * summary['gap']:.2f} % | {summary['shortfall_hours']:.1f} h | "
              f"{summary['greedy_hours']:.1f} ({summary['greedy_open_hours']:.1f}) | "
              f"{proposal.solve_seconds * 1000:.0f} ms | {summary['assign_seconds'] * 1000:.0f} ms | "
              f"{propose_ms:.0f} ms | {apply_ms:.0f} ms |")  # fmt: skip
        print(f"| 34 (every 30 min, 8.5 h and 6 h) | {len(rich) * 7 * 2} | {cover.counts.sum()} "
              f"({cover.open_counts.sum()}) | {cover.agent_hours:.1f} ({cover.open_hours:.1f}) | "
              f"{cover.lower_bound_hours:.1f} | {100 * cover.gap:.2f} % | "
              f"{cover.shortfall_hours:.1f} h | {greedy.agent_hours:.1f} ({greedy.open_hours:.1f}) | "
              f"{cover.seconds * 1000:.0f} ms ({cover.status}) | | | |")  # fmt: skip
    finally:
        drop_bench_database()


def setup_templates():
    from scheduling.models import ShiftTemplate

    return ShiftTemplate.objects.prefetch_related("activities")


def demo(team_name: str) -> None:
    from bench.ingest import setup_django

    setup_django(os.environ["DATABASE_URL"])
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from agents.models import Team
    from core.localtime import local_today, monday_of
    from staffing import proposal_selectors, services
    from staffing.models import ProposalMode

    team = Team.objects.get(name=team_name)
    user = get_user_model().objects.filter(is_superuser=True).first()
    print(f"\n{team}, {os.environ['DATABASE_URL'].split(':')[0]}, {os.cpu_count()} cores\n")
    print("| week | mode | short before | over before | shifts proposed (replaced) | agent-hours "
          "(replaced) | open shifts (hours) | more agents | short after | over after | solve | "
          "whole propose | apply |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    weeks = [monday_of(local_today()) + timedelta(days=days) for days in (7, 14)]
    for week, mode in ((week, mode) for week in weeks for mode in ProposalMode.values):
        with transaction.atomic():
            started = time.perf_counter()
            proposal = services.propose(team=team, week=week, by=user, mode=mode)
            propose_s = time.perf_counter() - started
            shifts = proposal_selectors.proposed_shifts(proposal)
            totals = proposal_selectors.coverage(proposal, shifts)["totals"]
            grid = proposal_selectors.grid(proposal, shifts)
            open_ = proposal_selectors.open_shifts(shifts, grid["days"], grid["open_by_day"])
            summary = proposal.summary
            started = time.perf_counter()
            services.apply(proposal=proposal, by=user)
            apply_s = time.perf_counter() - started
            transaction.set_rollback(True)
        print(f"| {week} | {mode} | {totals['short_before']:.1f} h | {totals['over_before']:.1f} h | "
              f"{len(shifts)} ({len(summary['replaces'])}) | {proposal.agent_hours:.1f} "
              f"({summary['replaced_hours']:.1f}) | {open_['count']} ({open_['hours']:.1f} h) | "
              f"{open_.get('agents', 0)} ({open_.get('agent_weeks', 0):.1f} agent-weeks, "
              f"{open_.get('busiest', 0)} on the busiest day) | {totals['short_after']:.1f} h | "
              f"{totals['over_after']:.1f} h | {proposal.solve_seconds:.2f} s "
              f"(gap {100 * (summary['gap'] or 0):.2f} %) | {propose_s:.2f} s | "
              f"{apply_s:.2f} s |")  # fmt: skip


if __name__ == "__main__":
    if "--demo" in sys.argv:
        demo(sys.argv[sys.argv.index("--demo") + 1] if len(sys.argv) > 2 else "Care North")
    else:
        main()
