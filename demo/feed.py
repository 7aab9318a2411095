"""A little live traffic for `make run`: every few seconds some contacts arrive, agents
answer and finish others, and callers who waited too long hang up, all through the ingest
service, so the wallboard moves and alerts open and close on their own."""

import random
from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from agents.models import Agent, AgentStateEvent
from interactions import services
from interactions.models import Channel, Interaction, Queue

FEED_SOURCE = "demo-live"
PATIENCE = timedelta(minutes=3)


def _record(contact: Interaction, **changes) -> dict:
    """The whole record as the source would resend it (ingest replaces, never merges)."""
    record = {
        "external_id": contact.external_id,
        "channel": contact.channel,
        "queue": contact.queue.name,
        "customer": contact.customer,
        "arrived_at": contact.arrived_at,
        "answered_at": contact.answered_at,
        "ended_at": contact.ended_at,
        "agent": contact.agent.login if contact.agent_id else "",
        "talk_seconds": contact.talk_seconds,
        "wrap_seconds": contact.wrap_seconds,
    }
    record.update(changes)
    return record


def _agents_in(state: str, now: datetime) -> list[Agent]:
    latest = AgentStateEvent.objects.filter(agent=OuterRef("pk"), at__lte=now).order_by("-at")
    return list(
        Agent.objects.filter(active=True)
        .annotate(state=Subquery(latest.values("state")[:1]))
        .filter(state=state)
        .select_related("team")
    )


def feed_tick(now: datetime | None = None, rng: random.Random | None = None) -> dict:
    """One step of live traffic; returns what it did."""
    now = (now or timezone.now()).replace(microsecond=0)
    rng = rng or random.Random()
    queues = list(Queue.objects.filter(active=True, channel__in=[Channel.VOICE, Channel.CHAT]))
    if not queues:
        return {"arrived": 0, "answered": 0, "ended": 0, "abandoned": 0}
    open_contacts = Interaction.objects.filter(
        source=FEED_SOURCE, ended_at__isnull=True
    ).select_related("queue", "agent")
    records, events = [], []
    done = {"arrived": 0, "answered": 0, "ended": 0, "abandoned": 0}
    # Talking contacts end; their agents are free again.
    for contact in open_contacts.filter(answered_at__isnull=False):
        if rng.random() < 0.35:
            talk = (now - contact.answered_at).total_seconds()
            records.append(_record(contact, ended_at=now, talk_seconds=talk))
            events.append({"agent": contact.agent.login, "state": "available", "at": now})
            done["ended"] += 1
    # Free agents answer the longest-waiting contacts; callers out of patience hang up.
    free = _agents_in("available", now)
    rng.shuffle(free)
    for contact in open_contacts.filter(answered_at__isnull=True).order_by("arrived_at"):
        if free and rng.random() < 0.6:
            agent = free.pop()
            records.append(_record(contact, answered_at=now, agent=agent.login))
            events.append({"agent": agent.login, "state": "on_contact", "at": now})
            done["answered"] += 1
        elif now - contact.arrived_at > PATIENCE:
            records.append(_record(contact, ended_at=now))
            done["abandoned"] += 1
    # New contacts arrive.
    for n in range(rng.choice([0, 1, 1, 2, 3])):
        queue = rng.choice(queues)
        records.append({"external_id": f"{now:%Y%m%d%H%M%S}-{n}", "channel": queue.channel,
                        "queue": queue.name, "arrived_at": now,
                        "customer": f"C{rng.randrange(30000):06d}"})  # fmt: skip
        done["arrived"] += 1
    # Now and then an agent comes back from a break, or takes one.
    logged = Agent.objects.filter(active=True, team__isnull=False).order_by("?").first()
    if logged and rng.random() < 0.3:
        events.append(
            {"agent": logged.login, "state": rng.choice(["available", "break"]), "at": now}
        )
    if records:
        services.ingest_contacts(records, default_source=FEED_SOURCE)
    if events:
        services.ingest_agent_events(events)
    return done
