"""Live numbers for the wallboard: open contacts, agents' current states, today so far.

Read straight from the raw tables (rollups lag by up to a minute), and only from rows
that are small by nature: contacts still open (a partial index), today's contacts, and
each agent's latest state event.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from agents import access
from agents.selectors import with_current_state
from core import roles
from core.localtime import local_midnight, local_today
from interactions.models import Direction, Interaction, Queue
from kpis import definitions, rollup
from kpis.models import StateInterval
from scheduling.models import ShiftActivity
from scheduling.services import MAX_SHIFT

STATE_ORDER = ("available", "on_contact", "after_contact_work", "break", "lunch", "meeting",
               "training", "other", "offline")  # fmt: skip


def stale_after() -> timedelta:
    """An open contact older than this lost its end somewhere: not counted as waiting."""
    return timedelta(hours=getattr(settings, "LIVE_STALE_HOURS", 4))


def live_numbers(user, *, queues=(), teams=(), now=None) -> dict:
    """The floor now, in two scopes named apart (docs/kpis.md, "Teams and queues"):
    `queues` and `today` are the queues' (every contact offered to the queues shown: for
    a team, the queues it serves), `team_today` the contacts the team's agents took,
    and `agents` the team's agents. A supervisor's floor is their teams'."""
    now = now or timezone.now()
    visible_queues = Queue.objects.visible_to(user)
    if queues:
        visible_queues = visible_queues.filter(name__in=queues)
    team_scope = access.visible_teams(user)
    if teams:
        team_scope = team_scope.filter(name__in=teams)
        visible_queues = visible_queues.filter(teams__in=team_scope).distinct()
    queue_names = dict(visible_queues.values_list("pk", "name"))
    team_names = (
        dict(team_scope.values_list("pk", "name")) if teams or not roles.is_manager(user) else {}
    )

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
        "scope": {"queues": sorted(queue_names.values()), "teams": sorted(team_names.values())},
        "queues": queue_rows,
        "agents": _agent_states(user, teams, now),
        "today": _today(list(queue_names), now),
        "team_today": _team_today(list(team_names), now) if team_names else None,
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
    return with_current_state(agents, now).values_list(
        "pk", "login", "display_name", "state", "state_since"
    )


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


# Every contact, and the voice and chat ones whose waits a wall shows.
_ALL_AND_REAL_TIME = {"all": None, "real_time": Q(channel__in=definitions.REAL_TIME_CHANNELS)}


def _so_far(now, counts, kpis, **scope) -> dict:
    """Today to the second for a scope (queue_ids= or team_ids=): the named counts and
    KPIs, ASA over voice and chat only (an e-mail's hours would swamp a call's seconds)."""
    start, end = local_midnight(local_today(now)), now + timedelta(seconds=1)
    parts = rollup.contact_components_between(start, end, parts=_ALL_AND_REAL_TIME, **scope)
    result = {key: parts["all"][key] for key in counts}
    for key in kpis:
        components = parts["real_time"] if key == "asa" else parts["all"]
        result[key] = definitions.BY_KEY[key].compute(components)
    return result


def _today(queue_ids, now) -> dict:
    """The queues' day: offered, answered, abandoned, service level and ASA."""
    return _so_far(now, ("offered", "answered", "abandoned"), ("service_level", "asa"),
                   queue_ids=queue_ids)  # fmt: skip


def _team_today(team_ids, now) -> dict:
    """The contacts the teams' agents took today: answered, handled, ASA and AHT."""
    return _so_far(now, ("answered", "handled"), ("asa", "aht"), team_ids=team_ids)


INTERVAL = timedelta(minutes=15)


def adherence_now(team, now=None) -> list[dict]:
    """Who on the team is out of adherence now: the activity scheduled this minute against
    the state the agent is in, since when, and today's adherence over the completed
    15-minute intervals (from the rollups). Out-of-adherence agents come first, longest first.

    "Since" is the later of the two changes that made the mismatch: the agent entering
    the state or the scheduled activity beginning.
    """
    now = now or timezone.now()
    # Through the shifts around now (the (agent, start) index): no longer than a shift.
    scheduled = ShiftActivity.objects.filter(
        shift__agent=OuterRef("pk"),
        shift__start__gt=now - MAX_SHIFT,
        shift__start__lte=now,
        start__lte=now,
        end__gt=now,
    ).order_by("start")
    agents = with_current_state(team.agents.filter(active=True), now).annotate(
        activity=Subquery(scheduled.values("kind")[:1]),
        activity_start=Subquery(scheduled.values("start")[:1]),
        activity_end=Subquery(scheduled.values("end")[:1]),
    )
    today = (
        StateInterval.objects.filter(
            agent__in=team.agents.all(),
            interval_start__gte=local_midnight(local_today(now)),
            # Completed intervals only: the rollup holds a whole day's schedule ahead.
            interval_start__lte=now - INTERVAL,
        )
        .values("agent")
        .annotate(scheduled=Sum("scheduled_seconds"), adherent=Sum("adherent_seconds"))
        .order_by()
    )
    so_far = {row["agent"]: row for row in today}
    rows = []
    for agent in agents.order_by("display_name", "login"):
        state = agent.state or "offline"
        if agent.activity is None:
            status, since = ("unscheduled" if state != "offline" else "off"), None
        elif state in rollup.ADHERENT_STATES[agent.activity]:
            status, since = "in", None
        else:
            status = "out"
            since = max(filter(None, (agent.state_since, agent.activity_start)))
        sums = so_far.get(agent.pk, {})
        rows.append({
            "agent": agent, "state": state, "state_since": agent.state_since,
            "activity": agent.activity, "activity_start": agent.activity_start,
            "activity_end": agent.activity_end, "status": status, "out_since": since,
            "out_seconds": (now - since).total_seconds() if since else None,
            "adherence_today": definitions.BY_KEY["adherence"].compute({
                "scheduled_seconds": sums.get("scheduled", 0) or 0,
                "adherent_seconds": sums.get("adherent", 0) or 0,
            }),
        })  # fmt: skip
    order = {"out": 0, "in": 1, "unscheduled": 2, "off": 3}
    rows.sort(key=lambda row: (order[row["status"]], -(row["out_seconds"] or 0)))
    return rows
