from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from agents import access
from agents.serializers import AgentSerializer, TeamSerializer
from contactcenter.api import CanIngest, Pagination, batch_records, batch_response
from interactions import services
from interactions.api import INGEST_RESPONSES
from interactions.serializers import AgentEventInSerializer


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


class AgentEventsView(APIView):
    """Send agent state changes: {"agent", "state", "at"}, one object or a list."""

    permission_classes = [IsAuthenticated, CanIngest]
    parser_classes = [JSONParser]

    @extend_schema(request=AgentEventInSerializer(many=True), responses=INGEST_RESPONSES)
    def post(self, request):
        return batch_response(services.ingest_agent_events(batch_records(request.data)))
