from datetime import timedelta

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError

from core.api import Pagination, date_param, text_params
from core.localtime import local_days, local_today, monday_of
from scheduling.models import Shift, ShiftActivity
from scheduling.serializers import ShiftSerializer

# The longest range one request may ask for: a quarter of shifts.
MAX_DAYS = 92


class SchedulesView(generics.ListAPIView):
    """Shifts with their activities, in the order they start: an agent gets their own,
    a supervisor their teams', a manager everyone's. Without dates: this week."""

    serializer_class = ShiftSerializer
    pagination_class = Pagination
    filter_backends = []

    def get_queryset(self):
        params = self.request.query_params
        start = date_param(params, "start") or monday_of(local_today())
        end = date_param(params, "end") or start + timedelta(days=6)
        if end < start:
            raise ValidationError({"end": ["The end is before the start."]})
        if (end - start).days >= MAX_DAYS:
            raise ValidationError({"end": [f"Ask for at most {MAX_DAYS} days at a time."]})
        shifts = Shift.objects.visible_to(self.request.user).filter(
            start__gte=local_days(start)[0], start__lt=local_days(end)[1]
        )
        agents, teams = text_params(params, "agent"), text_params(params, "team")
        if agents:
            shifts = shifts.filter(agent__login__in=agents)
        if teams:
            shifts = shifts.filter(team__name__in=teams)
        activities = ShiftActivity.objects.order_by("start")
        return (
            shifts.select_related("agent", "team")
            .prefetch_related(Prefetch("activities", queryset=activities))
            .order_by("start", "agent__login")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start", OpenApiTypes.DATE, description="First local day (inclusive)."
            ),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last local day (inclusive)."),
            OpenApiParameter("agent", str, many=True, explode=True, description="Agent login."),
            OpenApiParameter("team", str, many=True, explode=True, description="Team name."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
