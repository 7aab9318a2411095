"""Reads for the pages of the kpis app."""

from django.db.models import Count, Max, Min, Q

from agents import access
from agents.models import AgentStateEvent
from scheduling.models import Shift


def database_overview(user) -> dict:
    """What the database holds, limited to what the user may see.

    One aggregate query per table, whatever the size of the tables.
    """
    contacts = access.visible_interactions(user).aggregate(
        total=Count("pk"),
        surveyed=Count("pk", filter=Q(csat__isnull=False) | Q(nps__isnull=False)),
        first=Min("arrived_at"),
        last=Max("arrived_at"),
    )
    agents = access.visible_agents(user)
    return {
        "teams": access.visible_teams(user).count(),
        "agents": agents.count(),
        "queues": access.visible_queues(user).count(),
        "contacts": contacts["total"],
        "surveyed_contacts": contacts["surveyed"],
        "first_contact_at": contacts["first"],
        "last_contact_at": contacts["last"],
        "state_events": AgentStateEvent.objects.filter(agent__in=agents).count(),
        "shifts": Shift.objects.filter(agent__in=agents).count(),
    }
