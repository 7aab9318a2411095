"""Schedule reads: a team's week as a grid, an agent's coming shifts, iCalendar."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Prefetch, Q

from agents.models import Agent, Team
from core.localtime import local_days
from scheduling.models import ActivityKind, Shift, ShiftActivity, TimeOff, TimeOffStatus
from scheduling.services import local


def shift_history(agent, names):
    """The agent's shifts on their history tab (registered in SchedulingConfig.ready)."""

    def subject(record):
        start, end = local(record.start), local(record.end)
        return f"Shift {start:%a %d %b %H:%M}–{end:%H:%M}"

    fields = (shift_time_change, "team_id", "note")
    return Shift.history.filter(agent_id=agent.pk), fields, subject


def shift_time_change(before, after):
    """A shift's start and end as one change in local times, with the days only when
    the day changed: ('time', '11:30–20:00', '12:00–20:30'); None when they did not
    change. For a new shift (before is None) its times alone, the subject has its day."""
    start, end = local(after.start), local(after.end)
    if before is None:
        return ("time", "", f"{start:%H:%M}–{end:%H:%M}")
    old_start, old_end = local(before.start), local(before.end)
    if (old_start, old_end) == (start, end):
        return None
    clock = "%H:%M" if old_start.date() == start.date() else "%a %d %b %H:%M"
    return ("time", f"{old_start:{clock}}–{old_end:%H:%M}", f"{start:{clock}}–{end:%H:%M}")


def time_off_history(agent, names):
    """The agent's time off on their history tab (registered in SchedulingConfig.ready)."""

    def subject(record):
        return f"Time off from {local(record.start):%a %d %b}"

    fields = ("start", "end", "status", "reason")
    return TimeOff.history.filter(agent_id=agent.pk), fields, subject


def _shifts(agents, start: datetime, end: datetime):
    return (
        Shift.objects.filter(agent__in=agents, start__gte=start, start__lt=end)
        .select_related("agent", "team")
        .prefetch_related(Prefetch("activities", queryset=ShiftActivity.objects.order_by("start")))
        .order_by("start")
    )


def activities_text(shift: Shift) -> str:
    """A shift's breaks, lunches, meetings and training in the form's and CSV's syntax:
    'break 10:00-10:15; lunch 12:00-12:30'."""
    return "; ".join(
        f"{activity.kind} {local(activity.start):%H:%M}-{local(activity.end):%H:%M}"
        for activity in shift.activities.all()
        if activity.kind != ActivityKind.WORK
    )


@dataclass
class ShiftView:
    shift: Shift
    label: str
    hours: float
    segments: list[dict] = field(default_factory=list)  # kind, left %, width %, title
    activities: str = ""


def shift_view(shift: Shift) -> ShiftView:
    start, end = local(shift.start), local(shift.end)
    length = (shift.end - shift.start).total_seconds()
    segments = [
        {
            "kind": activity.kind,
            "left": 100 * (activity.start - shift.start).total_seconds() / length,
            "width": 100 * (activity.end - activity.start).total_seconds() / length,
            "title": f"{activity.get_kind_display()} "
            f"{local(activity.start):%H:%M}–{local(activity.end):%H:%M}",
        }
        for activity in shift.activities.all()
    ]
    return ShiftView(
        shift=shift,
        label=f"{start:%H:%M}–{end:%H:%M}",
        hours=length / 3600,
        segments=segments,
        activities=activities_text(shift),
    )


def team_week(team: Team, monday: date) -> dict:
    """The team's week: a row per agent (active members, and anyone with a shift for
    the team that week), a cell per local day with its shifts and time off."""
    days = [monday + timedelta(days=offset) for offset in range(7)]
    start, end = local_days(monday, 7)
    # Two index reads rather than one join over every shift the agents ever had.
    planned_for_team = Shift.objects.filter(team=team, start__gte=start, start__lt=end)
    agents = list(
        Agent.objects.filter(
            Q(team=team, active=True) | Q(pk__in=planned_for_team.values("agent"))
        ).order_by("display_name", "login")
    )
    # Only this team's shifts: an agent who also worked for another team that week shows
    # here with this team's shifts alone.
    team_shifts = _shifts(agents, start, end).filter(
        Q(team=team) | Q(team__isnull=True, agent__team=team)
    )
    by_cell: dict[tuple[int, date], list[ShiftView]] = {}
    for shift in team_shifts:
        by_cell.setdefault((shift.agent_id, local(shift.start).date()), []).append(
            shift_view(shift)
        )
    away: dict[tuple[int, date], list[TimeOff]] = {}
    members = [agent for agent in agents if agent.team_id == team.pk]
    time_off = TimeOff.objects.filter(agent__in=members, start__lt=end, end__gt=start).exclude(
        status=TimeOffStatus.REJECTED
    )
    for off in time_off:
        for day in days:
            day_start, day_end = local_days(day)
            if off.start < day_end and off.end > day_start:
                away.setdefault((off.agent_id, day), []).append(off)
    rows = []
    for agent in agents:
        cells = [
            {"day": day, "shifts": by_cell.get((agent.pk, day), []),
             "time_off": away.get((agent.pk, day), [])}
            for day in days
        ]  # fmt: skip
        hours = sum(view.hours for cell in cells for view in cell["shifts"])
        rows.append({"agent": agent, "cells": cells, "hours": hours})
    totals = [
        {
            "day": day,
            "agents": sum(1 for row in rows if row["cells"][index]["shifts"]),
            "hours": sum(view.hours for row in rows for view in row["cells"][index]["shifts"]),
        }
        for index, day in enumerate(days)
    ]
    return {"days": days, "rows": rows, "totals": totals, "start": start, "end": end}


def agent_shifts(agent: Agent, first_day: date, days: int):
    """The agent's shifts starting in `days` local days from `first_day`, with activities."""
    return _shifts([agent], *local_days(first_day, days))


def agent_time_off(agent: Agent, since: date):
    return agent.time_off.filter(end__gt=local_days(since)[0]).order_by("start")


# --- iCalendar (RFC 5545) -----------------------------------------------------------------


def _ics_text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")  # a bare CR would end the line
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def agent_ics(agent: Agent, shifts, host: str, now: datetime) -> str:
    """The agent's shifts as an iCalendar file: one event per shift, its breaks in the
    description; UIDs are stable so calendar apps update events instead of adding."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//contactcenter//schedule//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_ics_text(f'{agent} · shifts')}",
    ]
    stamp = _ics_time(now)
    for shift in shifts:
        breaks = [
            f"{activity.get_kind_display()} {local(activity.start):%H:%M}–{local(activity.end):%H:%M}"
            for activity in shift.activities.all()
            if activity.kind != ActivityKind.WORK
        ]
        description = "\n".join(filter(None, [*breaks, shift.note]))
        lines += [
            "BEGIN:VEVENT",
            f"UID:shift-{shift.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_ics_time(shift.start)}",
            f"DTEND:{_ics_time(shift.end)}",
            f"SUMMARY:{_ics_text(f'Shift · {shift.team or agent.team or agent}')}",
        ]
        if description:
            lines.append(f"DESCRIPTION:{_ics_text(description)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
