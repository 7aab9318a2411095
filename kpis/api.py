from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import date_param, text_params
from kpis import definitions
from kpis.live import live_numbers
from kpis.selectors import GRANULARITIES, GROUPS, SeriesRequest, kpi_series, targets_status

# Longest range per granularity: keeps one answer to a few thousand rows at most.
MAX_DAYS = {"interval": 31, "half_hour": 62, "hour": 93, "day": 3660, "week": 3660,
            "month": 3660, "total": 3660}  # fmt: skip


class KpiRowSerializer(serializers.Serializer):
    period_start = serializers.DateTimeField()
    group = serializers.DictField(child=serializers.CharField(allow_null=True))
    kpis = serializers.DictField(child=serializers.FloatField(allow_null=True))
    components = serializers.DictField(child=serializers.FloatField(allow_null=True))
    not_applicable = serializers.ListField(
        child=serializers.CharField(),
        help_text="KPIs with no meaning at this level (null in kpis): queue-side ones "
        "(offered, abandonment, service level, callbacks) for a team or an agent, "
        "agent-state ones for a queue or a channel.",
    )
    provisional = serializers.ListField(
        child=serializers.CharField(),
        help_text="KPIs whose value may still change (FCR within the repeat window).",
    )


class KpiResponseSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    granularity = serializers.ChoiceField(GRANULARITIES)
    time_zone = serializers.CharField()
    results = KpiRowSerializer(many=True)


class TargetStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kpi = serializers.CharField()
    label = serializers.CharField()
    scope = serializers.CharField()
    scope_name = serializers.CharField()
    target = serializers.FloatField()
    warning_margin = serializers.FloatField()
    actual = serializers.FloatField(allow_null=True)
    distance = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(["green", "amber", "red", "no data", "provisional"])
    provisional = serializers.BooleanField(
        help_text="The actual value can still change (FCR within the repeat window): "
        "its status is provisional, not judged against the target yet."
    )
    valid_from = serializers.DateField()
    due_by = serializers.DateField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True)


def parse_series_request(params) -> SeriesRequest:
    start, end = (
        date_param(params, "start", required=True),
        date_param(params, "end", required=True),
    )
    if end < start:
        raise ValidationError({"end": ["The end comes before the start."]})
    granularity = params.get("granularity") or "total"
    if granularity not in GRANULARITIES:
        raise ValidationError({"granularity": [f"One of: {', '.join(GRANULARITIES)}."]})
    if (end - start).days + 1 > MAX_DAYS[granularity]:
        raise ValidationError(
            {"end": [f"At most {MAX_DAYS[granularity]} days at {granularity} granularity."]}
        )
    group_by = params.get("group_by") or None
    if group_by is not None and group_by not in GROUPS:
        raise ValidationError({"group_by": [f"One of: {', '.join(GROUPS)}."]})
    keys = None
    if params.get("kpis"):
        keys = tuple(key.strip() for key in params["kpis"].split(",") if key.strip())
        unknown = sorted(set(keys) - set(definitions.BY_KEY))
        if unknown:
            raise ValidationError({"kpis": [f"Unknown KPI(s): {', '.join(unknown)}."]})
    return SeriesRequest(
        start=start,
        end=end,
        granularity=granularity,
        group_by=group_by,
        queues=text_params(params, "queue"),
        teams=text_params(params, "team"),
        agents=text_params(params, "agent"),
        channels=text_params(params, "channel"),
        kpis=keys,
    )


class KpisView(APIView):
    """KPIs per period and group, computed from the rollups (spec/kpis.md, "KPI API")."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start", OpenApiTypes.DATE, required=True, description="First local day."
            ),
            OpenApiParameter(
                "end", OpenApiTypes.DATE, required=True, description="Last local day (inclusive)."
            ),
            OpenApiParameter("granularity", str, enum=GRANULARITIES, description="Default total."),
            OpenApiParameter("group_by", str, enum=GROUPS),
            OpenApiParameter("queue", str, many=True, explode=True),
            OpenApiParameter("team", str, many=True, explode=True),
            OpenApiParameter("agent", str, many=True, explode=True),
            OpenApiParameter("channel", str, many=True, explode=True),
            OpenApiParameter("kpis", str, description="Comma-separated KPI keys; default all."),
        ],
        responses=KpiResponseSerializer,
    )
    def get(self, request):
        series_request = parse_series_request(request.query_params)
        rows = kpi_series(request.user, series_request)
        return Response(
            {
                "start": series_request.start.isoformat(),
                "end": series_request.end.isoformat(),
                "granularity": series_request.granularity,
                "time_zone": settings.TIME_ZONE,
                "results": [
                    {**row, "period_start": row["period_start"].isoformat()} for row in rows
                ],
            }
        )


class TargetStatusView(APIView):
    """Every target in force in the period, with its value, status and distance."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
        ],
        responses=TargetStatusSerializer(many=True),
    )
    def get(self, request):
        start, end = (
            date_param(request.query_params, "start", required=True),
            date_param(request.query_params, "end", required=True),
        )
        if end < start:
            raise ValidationError({"end": ["The end comes before the start."]})
        return Response(
            TargetStatusSerializer(targets_status(request.user, start, end), many=True).data
        )


class LiveView(APIView):
    """Contacts waiting per queue, agents by state, today so far (spec: live wallboard)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("queue", str, many=True, explode=True),
            OpenApiParameter("team", str, many=True, explode=True),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        params = request.query_params
        numbers = live_numbers(
            request.user, queues=text_params(params, "queue"), teams=text_params(params, "team")
        )
        return Response({**numbers, "as_of": numbers["as_of"].isoformat()})
