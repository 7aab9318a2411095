"""Reads of contacts, always starting from what the user may see."""

from datetime import date, timedelta

from core.localtime import local_midnight
from interactions.models import Interaction


def contacts_for(
    user,
    *,
    start: date | None = None,
    end: date | None = None,
    queues=(),
    agents=(),
    teams=(),
    channels=(),
):
    """The user's visible contacts, filtered; `start`/`end` are inclusive local dates."""
    contacts = Interaction.objects.visible_to(user).select_related("queue", "agent", "team")
    if start:
        contacts = contacts.filter(arrived_at__gte=local_midnight(start))
    if end:
        contacts = contacts.filter(arrived_at__lt=local_midnight(end + timedelta(days=1)))
    if queues:
        contacts = contacts.filter(queue__name__in=queues)
    if agents:
        contacts = contacts.filter(agent__login__in=agents)
    if teams:
        contacts = contacts.filter(team__name__in=teams)
    if channels:
        contacts = contacts.filter(channel__in=channels)
    return contacts.order_by("-arrived_at", "-id")


SORTS = {"arrived": "arrived_at", "queue": "queue__name", "agent": "agent__login",
         "channel": "channel", "talk": "talk_seconds"}  # fmt: skip
