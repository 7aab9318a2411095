"""GET /api/v1/forecasts/: a queue's (or a queue group's) stored forecast, every local
interval of a range of local days (spec/staffing.md, "Forecasts")."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, date_param, text_params
from forecasting.models import Method, QueueGroup
from forecasting.selectors import INTERVALS, interval_rows
from interactions.models import Queue

# The longest range one request may ask for: a quarter.
MAX_DAYS = 92
# A page holds at least a day of 15-minute intervals.
MIN_PAGE_SIZE = 96


class ForecastPagination(Pagination):
    """Pages of a list already built: `page` and `page_size` (96 to 10,000, default
    1,000); the answer carries `results` and `next` only, as the spec says."""

    page_size = 1000
    max_page_size = 10_000

    def get_page_size(self, request):
        return max(super().get_page_size(request), MIN_PAGE_SIZE)

    def get_paginated_response(self, data):
        return Response({"results": data, "next": self.get_next_link()})


class ForecastRowSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Local start of the interval, with its offset.")
    queue = serializers.CharField(help_text="The queue's name (the group's with `group`).")
    contacts = serializers.FloatField(help_text="Expected offered contacts (0 when none).")
    aht_seconds = serializers.FloatField(
        allow_null=True, help_text="Expected handle time, null where no contacts are expected."
    )
    method = serializers.ChoiceField(
        Method.choices,
        allow_null=True,
        help_text="The method that made it; null where nothing is stored, or when a "
        "group's queues differ.",
    )
    special = serializers.CharField(allow_null=True, help_text="The special day's reason.")


class ForecastPageSerializer(serializers.Serializer):
    results = ForecastRowSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, null on the last.")


def _interval(params) -> int:
    value = params.get("interval") or "15"
    if value not in {str(minutes) for minutes in INTERVALS}:
        raise ValidationError({"interval": ["One of: 15, 30, 60 (minutes)."]})
    return int(value)


def one_name(params, name) -> str | None:
    """The one value of a text parameter (None when absent or empty); two is a 400.
    Shared with the staffing API's queue and group."""
    values = text_params(params, name)
    if len(values) > 1:
        raise ValidationError({name: [f"One {name} at a time."]})
    return values[0] if values and values[0] else None


def queue_or_group_name(params) -> tuple[str | None, str | None]:
    """The `queue` or the `group` asked for (exactly one), each named in its 400."""
    queue_name, group_name = one_name(params, "queue"), one_name(params, "group")
    if queue_name and group_name:
        raise ValidationError({"group": ["Give a queue or a group, not both."]})
    if not queue_name and not group_name:
        raise ValidationError({"queue": ["Required: a queue's name (or a group's)."]})
    return queue_name, group_name


def visible_queues(user, queue_name, group_name) -> tuple[list, str]:
    """The queues of the named queue or group, and its name: 404 when it is unknown or
    not the user's to see (the same answer, so a name's existence is not given away)."""
    if group_name:
        group = QueueGroup.objects.visible_to(user).filter(name=group_name).first()
        if group is None:
            raise NotFound("No such queue group, or not yours to see.")
        return list(group.queues.all()), group.name
    queue = Queue.objects.visible_to(user).filter(name=queue_name).first()
    if queue is None:
        raise NotFound("No such queue, or not yours to see.")
    return [queue], queue.name


class ForecastsView(APIView):
    """Every local interval of the range with its forecast (zeros included), in time
    order; 30 and 60 minutes group the 15-minute forecasts by local clock time."""

    pagination_class = ForecastPagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "queue",
                str,
                description="Queue name. Required unless `group` is given.",
            ),
            OpenApiParameter(
                "group",
                str,
                description="Extension: a queue group's name instead of `queue`; its queues' "
                "forecasts summed (AHT weighted by contacts).",
            ),
            OpenApiParameter(
                "start", OpenApiTypes.DATE, required=True, description="First local day."
            ),
            OpenApiParameter(
                "end",
                OpenApiTypes.DATE,
                required=True,
                description=f"Last local day (inclusive), at most {MAX_DAYS} days in all.",
            ),
            OpenApiParameter(
                "interval", int, enum=list(INTERVALS), description="Minutes; default 15."
            ),
            OpenApiParameter("page", int, description="Page number (follow `next`)."),
            OpenApiParameter(
                "page_size", int, description="Rows per page, 96 to 10,000; default 1,000."
            ),
        ],
        responses=ForecastPageSerializer,
        examples=[
            OpenApiExample(
                "A morning interval",
                value={
                    "results": [
                        {
                            "start": "2026-03-09T10:00:00-04:00",
                            "queue": "Sales",
                            "contacts": 41.7,
                            "aht_seconds": 251.3,
                            "method": "holt_winters",
                            "special": None,
                        }
                    ],
                    "next": None,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        params = request.query_params
        queue_name, group_name = queue_or_group_name(params)
        start = date_param(params, "start", required=True)
        end = date_param(params, "end", required=True)
        if end < start:
            raise ValidationError({"end": ["The end comes before the start."]})
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationError({"end": [f"Ask for at most {MAX_DAYS} days at a time."]})
        minutes = _interval(params)

        queues, label = visible_queues(request.user, queue_name, group_name)

        rows = interval_rows(queues, start, end, minutes, label=label)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        for row in page:
            row["start"] = row["start"].isoformat()
        return paginator.get_paginated_response(page)
