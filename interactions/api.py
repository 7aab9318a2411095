from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from agents import access
from core.api import (
    JSONParser,
    Pagination,
    batch_records,
    batch_response,
    date_param,
    text_params,
)
from interactions import selectors, services
from interactions.models import Channel, Queue
from interactions.serializers import (
    AgentEventInSerializer,
    ContactInSerializer,
    ContactSerializer,
    ErrorSerializer,
    IngestResponseSerializer,
    QueueSerializer,
    SurveyInSerializer,
)


class CanIngest(BasePermission):
    message = "Sending data needs the manager role or the 'Can add interaction' permission."

    def has_permission(self, request, view):
        return request.method not in ("POST", "PUT", "PATCH", "DELETE") or access.can_ingest(
            request.user
        )


INGEST_RESPONSES = {
    200: IngestResponseSerializer,
    207: OpenApiResponse(IngestResponseSerializer, description="Some records were rejected."),
    400: OpenApiResponse(ErrorSerializer, description="Not JSON, not a list, or an empty list."),
    413: OpenApiResponse(
        ErrorSerializer, description="More records than the limit in one request."
    ),
    422: OpenApiResponse(IngestResponseSerializer, description="Every record was rejected."),
}

CONTACT_FILTERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First local day (inclusive)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last local day (inclusive)."),
    OpenApiParameter("queue", str, many=True, explode=True, description="Queue name."),
    OpenApiParameter("agent", str, many=True, explode=True, description="Agent login."),
    OpenApiParameter("team", str, many=True, explode=True, description="Team name."),
    OpenApiParameter("channel", str, many=True, explode=True, enum=Channel.values),
]


class ContactsView(generics.ListAPIView):
    """List the contacts you may see, or send contacts (one object or a list)."""

    serializer_class = ContactSerializer
    pagination_class = Pagination
    permission_classes = [IsAuthenticated, CanIngest]
    parser_classes = [JSONParser]
    filter_backends = []

    def get_queryset(self):
        params = self.request.query_params
        channels = params.getlist("channel")
        unknown = sorted(set(channels) - set(Channel.values))
        if unknown:
            raise ValidationError({"channel": [f"Unknown channel(s): {', '.join(unknown)}."]})
        return selectors.contacts_for(
            self.request.user,
            start=date_param(params, "start"),
            end=date_param(params, "end"),
            queues=text_params(params, "queue"),
            agents=text_params(params, "agent"),
            teams=text_params(params, "team"),
            channels=channels,
        )

    @extend_schema(parameters=CONTACT_FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ContactInSerializer(many=True), responses=INGEST_RESPONSES)
    def post(self, request):
        user = request.user
        report = services.ingest_contacts(
            batch_records(request.data),
            default_source=user.get_username(),
            only_source=access.ingest_source(user),
        )
        return batch_response(report)


class SurveysView(APIView):
    """Send surveys that arrive after their contacts, keyed by source and external_id."""

    permission_classes = [IsAuthenticated, CanIngest]
    parser_classes = [JSONParser]

    @extend_schema(request=SurveyInSerializer(many=True), responses=INGEST_RESPONSES)
    def post(self, request):
        user = request.user
        report = services.ingest_surveys(
            batch_records(request.data),
            default_source=user.get_username(),
            only_source=access.ingest_source(user),
        )
        return batch_response(report)


class AgentEventsView(APIView):
    """Send agent state changes: {"agent", "state", "at"}, one object or a list."""

    permission_classes = [IsAuthenticated, CanIngest]
    parser_classes = [JSONParser]

    @extend_schema(request=AgentEventInSerializer(many=True), responses=INGEST_RESPONSES)
    def post(self, request):
        return batch_response(services.ingest_agent_events(batch_records(request.data)))


class QueueViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = QueueSerializer
    pagination_class = Pagination
    filter_backends = []

    def get_queryset(self):
        return (
            Queue.objects.visible_to(self.request.user)
            .select_related("required_skill")
            .order_by("name")
        )
