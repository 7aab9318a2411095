"""Live numbers for the wallboard: open contacts, agents' current states, today so far.

Read straight from the raw tables (rollups lag by up to a minute), and only from rows
that are small by nature: contacts still open (a partial index), today's contacts, and
each agent's latest state event.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Count,
    Min,
    OuterRef,
    Subquery,
)
from django.utils import timezone

from agents import access
from agents.models import AgentStateEvent
from interactions.models import Direction, Interaction
from kpis import definitions, services
from kpis.selectors import local_midnight

STATE_ORDER = ("available", "on_contact", "after_contact_work", "break", "lunch", "meeting",
               "training", "other", "offline")  # fmt: skip


def stale_after() -> timedelta:
    """An open contact older than this lost its end somewhere: not counted as waiting."""
    return timedelta(hours=getattr(settings, "LIVE_STALE_HOURS", 4))


def live_numbers(user, *, queues=(), teams=(), now=None) -> dict:
    now = now or timezone.now()
    visible_queues = access.visible_queues(user)
    if queues:
        visible_queues = visible_queues.filter(name__in=queues)
    if teams:
        visible_queues = visible_queues.filter(teams__name__in=teams).distinct()
    queue_names = dict(visible_queues.values_list("pk", "name"))

    waiting = waiting_by_queue(list(queue_names), now)
    queue_rows = [
        {"queue": name, "waiting": waiting.get(pk, (0, 0))[0],
         "longest_wait_seconds": waiting.get(pk, (0, 0))[1]}
        for pk, name in sorted(queue_names.items(), key=lambda item: item[1])
    ]  # fmt: skip
    open_contacts = _open_contacts(list(queue_names))
    stale = open_contacts.filter(arrived_at__lt=now - stale_after()).count()
    return {
        "as_of": now,
        "queues": queue_rows,
        "agents": _agent_states(user, teams, now),
        "today": _today(list(queue_names), now),
        "stale_contacts": stale,
    }


def _open_contacts(queue_ids):
    return Interaction.objects.filter(
        queue__in=queue_ids,
        direction=Direction.INBOUND,
        answered_at__isnull=True,
        ended_at__isnull=True,
    )


def waiting_by_queue(queue_ids, now) -> dict[int, tuple[int, float]]:
    """(contacts waiting, longest wait in seconds) per queue id; stale contacts left out."""
    rows = (
        _open_contacts(queue_ids)
        .filter(arrived_at__gte=now - stale_after(), arrived_at__lte=now)
        .values("queue")
        .annotate(waiting=Count("pk"), oldest=Min("arrived_at"))
        .order_by()
    )
    return {row["queue"]: (row["waiting"], (now - row["oldest"]).total_seconds()) for row in rows}


def latest_states(agents, now):
    """(id, login, display name, state, since) of each agent's latest event (one query)."""
    latest = AgentStateEvent.objects.filter(agent=OuterRef("pk"), at__lte=now).order_by("-at")
    return agents.annotate(
        state=Subquery(latest.values("state")[:1]), since=Subquery(latest.values("at")[:1])
    ).values_list("pk", "login", "display_name", "state", "since")


def _agent_states(user, teams, now) -> dict:
    agents = access.visible_agents(user).filter(active=True)
    if teams:
        agents = agents.filter(team__name__in=teams)
    by_state = {state: [] for state in STATE_ORDER}
    for _agent_id, login, name, state, since in latest_states(agents, now):
        by_state.setdefault(state or "offline", []).append({
            "agent": login, "name": name or login,
            "seconds_in_state": (now - since).total_seconds() if since else None,
        })  # fmt: skip
    for members in by_state.values():
        members.sort(key=lambda member: -(member["seconds_in_state"] or 0))
    return by_state


def _today(queue_ids, now) -> dict:
    """Today's offered, answered, abandoned, service level and ASA, to the second."""
    start = local_midnight(timezone.localdate(now))
    components = services.contact_components_between(start, now + timedelta(seconds=1), queue_ids)
    return {
        **{key: components[key] for key in ("offered", "answered", "abandoned")},
        **{key: definitions.BY_KEY[key].compute(components) for key in ("service_level", "asa")},
    }
