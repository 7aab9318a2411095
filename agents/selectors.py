"""Roster reads: a team's agents with their state and hours, and an agent's history.

agents sits below scheduling (tests/test_architecture.py): shifts are read here through
the reverse relations (`shifts__...` on Agent and Team), and the history of an agent's
shifts and time off is listed by the sources scheduling registers (HISTORY_SOURCES).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
)
from django.utils import timezone

from agents.models import Agent, AgentSkill, AgentStateEvent, Skill, Team
from core.localtime import local_days, local_today, monday_of

# History rows shown on an agent's history tab, newest first.
HISTORY_LIMIT = 300


def with_current_state(agents, now: datetime):
    """Agents annotated with the state of their latest event and when it began."""
    latest = AgentStateEvent.objects.filter(agent=OuterRef("pk"), at__lte=now).order_by("-at")
    return agents.annotate(
        state=Subquery(latest.values("state")[:1]), state_since=Subquery(latest.values("at")[:1])
    )


def teams_overview(teams, now: datetime):
    """Teams with their supervisors, active agents and agents on shift now (counted in
    SQL, one query for the counts)."""
    on_shift = (
        Team.objects.filter(
            pk=OuterRef("pk"),
            shifts__start__lte=now,
            shifts__end__gt=now,
            shifts__start__gt=now - timedelta(hours=24),
        )
        .values("pk")
        .annotate(n=Count("shifts__agent", distinct=True))
        .values("n")
    )
    return (
        teams.annotate(
            active_agents=Count("agents", filter=Q(agents__active=True), distinct=True),
            on_shift=Subquery(on_shift, output_field=IntegerField()),
        )
        .prefetch_related("supervisors")
        .order_by("name")
    )


def team_roster(team: Team, now: datetime):
    """The team's agents (active first) with skills, current state and this week's
    scheduled time (shifts starting this local week, summed in SQL per agent through the
    (agent, start) index, so the cost does not grow with the length of history)."""
    start, end = local_days(monday_of(local_today(now)), 7)
    length = ExpressionWrapper(F("shifts__end") - F("shifts__start"), output_field=DurationField())
    week = (
        Agent.objects.filter(pk=OuterRef("pk"), shifts__start__gte=start, shifts__start__lt=end)
        .values("pk")
        .annotate(total=Sum(length))
        .values("total")
    )
    agents = (
        team.agents.annotate(week_scheduled=Subquery(week, output_field=DurationField()))
        .prefetch_related(
            Prefetch("agent_skills", queryset=AgentSkill.objects.select_related("skill"))
        )
        .select_related("user")
        .order_by("-active", "display_name", "login")
    )
    return with_current_state(agents, now)


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    subject: str  # what changed: the agent, a skill, a shift, time off
    action: str  # created, changed, deleted
    reason: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def _label(field_name: str, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if field_name in names:
        return names[field_name].get(value, f"#{value}")
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%a %d %b %Y %H:%M}"
    return str(value)


def _field_name(name: str) -> str:
    """'team_id' -> 'team', 'display_name' -> 'display name'."""
    return name.removesuffix("_id").replace("_", " ")


def _changes(before, record, fields, names) -> list[tuple[str, str, str]]:
    """(field, before, after) for what differs from the previous row (before is None for
    a created row). A field is a name, or a function of (before, record) giving one
    (field, before, after) or None: a shift's start and end read as one time."""
    changes = []
    for name in fields:
        if callable(name):
            change = name(before, record)
            if change:
                changes.append(change)
        elif before is None:
            if getattr(record, name) not in (None, ""):
                changes.append((_field_name(name), "", _label(name, getattr(record, name), names)))
        elif getattr(before, name) != getattr(record, name):
            changes.append(
                (
                    _field_name(name),
                    _label(name, getattr(before, name), names),
                    _label(name, getattr(record, name), names),
                )
            )
    return changes


def _entries(records, fields, subject_of, names) -> list[HistoryEntry]:
    """History entries from history rows ordered oldest first: each change is compared
    with the same object's previous row (no query per row)."""
    previous, entries = {}, []
    actions = {"+": "created", "~": "changed", "-": "deleted"}
    for record in records:
        before = previous.get(record.id)
        changes = []
        if record.history_type == "~" and before is not None:
            changes = _changes(before, record, fields, names)
        elif record.history_type == "+":
            changes = _changes(None, record, fields, names)
        previous[record.id] = record
        if record.history_type == "~" and before is not None and not changes:
            continue  # saved with nothing changed
        user = record.history_user
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=(user.get_full_name() or user.get_username()) if user else "system",
                subject=subject_of(record),
                action=actions[record.history_type],
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries


# Where an agent's history tab reads beyond the agent and their skills: functions of
# (agent, names) giving (history rows, fields shown, subject of a row); a field is a
# name or a function (see _changes). The apps above
# agents add theirs in AppConfig.ready (scheduling: shifts, then time off), so agents
# imports none of them.
HISTORY_SOURCES: list[Callable] = []


def history_source(source: Callable) -> Callable:
    """Add a source to every agent's history tab (once, however often it is called)."""
    if source not in HISTORY_SOURCES:
        HISTORY_SOURCES.append(source)
    return source


def agent_history(agent: Agent) -> list[HistoryEntry]:
    """Every recorded change to the agent, their skills, shifts and time off, newest
    first: who, when, and the values before and after."""
    names = {
        "team_id": dict(Team.objects.values_list("pk", "name")),
        "skill_id": dict(Skill.objects.values_list("pk", "name")),
        "user_id": {agent.user_id: agent.user.get_username()} if agent.user_id else {},
    }

    sources = (
        (
            Agent.history.filter(id=agent.pk),
            ("login", "display_name", "team_id", "active", "hourly_cost", "user_id"),
            lambda record: "Agent",
        ),
        (
            AgentSkill.history.filter(agent_id=agent.pk),
            ("skill_id", "proficiency"),
            lambda record: f"Skill {names['skill_id'].get(record.skill_id, '')}",
        ),
        *(source(agent, names) for source in HISTORY_SOURCES),
    )
    entries = []
    for records, fields, subject_of in sources:
        # The newest rows only (one more, to compare the oldest shown with), so the tab
        # costs the same however long the agent's history is.
        newest = records.select_related("history_user").order_by("-history_date", "-history_id")
        rows = list(newest[: HISTORY_LIMIT + 1])[::-1]
        entries += _entries(rows, fields, subject_of, names)
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:HISTORY_LIMIT]
