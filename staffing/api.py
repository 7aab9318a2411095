"""GET /api/v1/staffing/: a queue's (or a queue group's) staffing for one local day,
per 15-minute local interval: the forecast, the agents it needs under Erlang C and
Erlang A, the heads to schedule for them, the agents the schedules provide and the
difference (spec/staffing.md; rows in docs/api.md)."""

import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core import roles
from core.api import date_param
from forecasting.api import queue_or_group_name, visible_queues
from staffing import erlang
from staffing.selectors import requirement, scheduled_agents


class ModelRowSerializer(serializers.Serializer):
    agents = serializers.FloatField(
        help_text="Agents needed on contacts (an integer for voice and chat; deferred "
        "work's float agents for e-mail, SMS and social)."
    )
    heads = serializers.FloatField(help_text="Heads to schedule: ceil(agents / (1 - shrinkage)).")
    difference = serializers.FloatField(
        help_text="agents_scheduled - agents: negative where the schedule is short."
    )


class StaffingRowSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Local start of the interval, with its offset.")
    queue = serializers.CharField(help_text="The queue's name (the group's with `group`).")
    contacts = serializers.FloatField(help_text="Forecast offered contacts (0 when none).")
    aht_seconds = serializers.FloatField(
        allow_null=True, help_text="Forecast handle time, null where no contacts are expected."
    )
    agents_scheduled = serializers.FloatField(
        help_text="Agents the schedules put on the queue: productive seconds / 900."
    )
    erlang_c = ModelRowSerializer()
    erlang_a = ModelRowSerializer()


class QueueSettingsSerializer(serializers.Serializer):
    queue = serializers.CharField()
    channel = serializers.CharField()
    real_time = serializers.BooleanField()
    target_service_level = serializers.FloatField()
    target_source = serializers.CharField()
    answer_seconds = serializers.FloatField()
    max_occupancy = serializers.FloatField()
    concurrency = serializers.IntegerField()
    patience_seconds = serializers.FloatField()
    patience_source = serializers.CharField()
    patience_estimated_seconds = serializers.FloatField(allow_null=True)
    shrinkage = serializers.FloatField()


class StaffingSerializer(serializers.Serializer):
    date = serializers.DateField()
    queue = serializers.CharField()
    queues = QueueSettingsSerializer(many=True)
    results = StaffingRowSerializer(many=True)


def _number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


class StaffingView(APIView):
    """Every local 15-minute interval of the day (92 or 100 on a DST change day)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("queue", str, description="Queue name. Required unless `group`."),
            OpenApiParameter(
                "group",
                str,
                description="A queue group's name instead of `queue`: its queues' needs "
                "added up, against the agents with the skill of any of them.",
            ),
            OpenApiParameter("date", OpenApiTypes.DATE, required=True, description="Local day."),
        ],
        responses=StaffingSerializer,
        examples=[
            OpenApiExample(
                "A morning interval",
                value={
                    "date": "2026-03-09",
                    "queue": "Sales",
                    "queues": [
                        {
                            "queue": "Sales",
                            "channel": "voice",
                            "real_time": True,
                            "target_service_level": 0.8,
                            "target_source": "center target",
                            "answer_seconds": 20,
                            "max_occupancy": 0.85,
                            "concurrency": 1,
                            "patience_seconds": 142.5,
                            "patience_source": "estimated",
                            "patience_estimated_seconds": 142.5,
                            "shrinkage": 0.3,
                        }
                    ],
                    "results": [
                        {
                            "start": "2026-03-09T10:00:00-04:00",
                            "queue": "Sales",
                            "contacts": 41.7,
                            "aht_seconds": 251.3,
                            "agents_scheduled": 14.5,
                            "erlang_c": {"agents": 16, "heads": 23, "difference": -1.5},
                            "erlang_a": {"agents": 15, "heads": 22, "difference": -0.5},
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        if not (roles.is_manager(request.user) or roles.is_supervisor(request.user)):
            raise PermissionDenied("Staffing is for managers and supervisors.")
        params = request.query_params
        queue_name, group_name = queue_or_group_name(params)
        day = date_param(params, "date", required=True)
        queues, label = visible_queues(request.user, queue_name, group_name)

        needed = requirement(queues, day, 1)
        total = needed.total()
        available = scheduled_agents(queues, day, 1)
        columns = {
            model: (
                total["agents"][model].tolist(),
                total["scheduled"][model].tolist(),
                (available - total["agents"][model]).tolist(),
            )
            for model in erlang.MODELS
        }
        results = [
            {
                "start": start.isoformat(),
                "queue": label,
                "contacts": float(total["contacts"][k]),
                "aht_seconds": _number(total["aht_seconds"][k]),
                "agents_scheduled": float(available[k]),
                **{
                    model: {"agents": agents[k], "heads": heads[k], "difference": gap[k]}
                    for model, (agents, heads, gap) in columns.items()
                },
            }
            for k, start in enumerate(needed.local_starts)
        ]
        settings_rows = [
            {
                "queue": part.queue.name,
                "channel": part.queue.channel,
                "real_time": part.settings.real_time,
                "target_service_level": part.settings.target_service_level,
                "target_source": part.settings.target_source,
                "answer_seconds": part.settings.answer_seconds,
                "max_occupancy": part.settings.max_occupancy,
                "concurrency": part.settings.concurrency,
                "patience_seconds": part.settings.patience_seconds,
                "patience_source": part.settings.patience_source,
                "patience_estimated_seconds": part.settings.patience.estimated_seconds,
                "shrinkage": part.shrinkage,
            }
            for part in needed.queues.values()
        ]
        return Response(
            {"date": day.isoformat(), "queue": label, "queues": settings_rows, "results": results}
        )
