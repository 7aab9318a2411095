from rest_framework import viewsets

from agents import access
from agents.serializers import AgentSerializer, TeamSerializer
from core.api import Pagination


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    pagination_class = Pagination
    filter_backends = []

    def get_queryset(self):
        return (
            access.visible_teams(self.request.user)
            .prefetch_related("supervisors", "queues")
            .order_by("name")
        )


class AgentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AgentSerializer
    pagination_class = Pagination
    filter_backends = []

    def get_queryset(self):
        return (
            access.visible_agents(self.request.user)
            .select_related("team")
            .prefetch_related("agent_skills__skill")
            .order_by("login")
        )
