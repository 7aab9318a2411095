"""POST /api/v1/staffing/calculate/: one interval's staffing under Erlang C or Erlang A,
solved for the agents needed or evaluated for a given head count (spec/staffing.md,
"Staffing"; docs/api.md)."""

import math

import numpy as np
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from staffing import erlang

# No real queue carries more; the searches' cost grows with the traffic, so a request
# for 10^11 Erlangs is refused before it keeps a worker busy.
MAX_TRAFFIC_ERLANGS = 10_000
MAX_AGENTS = 100_000
MAX_PATIENCE_SECONDS = 86_400
MAX_CONCURRENCY = 10  # as QueueStaffing.concurrency


class CalculateRequestSerializer(serializers.Serializer):
    """For the schema only: the body is read by `read_calculation`."""

    model = serializers.ChoiceField(erlang.MODELS)
    contacts = serializers.FloatField(help_text="Offered contacts in the interval, > 0.")
    interval_seconds = serializers.FloatField(help_text="Length of the interval, > 0.")
    aht_seconds = serializers.FloatField(help_text="Average handle time, > 0.")
    target_service_level = serializers.FloatField(
        required=False,
        help_text="Share to answer within target_answer_seconds, in (0, 1). Required unless "
        "`agents` is given.",
    )
    target_answer_seconds = serializers.FloatField(help_text="Answer time t, >= 0.")
    max_occupancy = serializers.FloatField(required=False, help_text="In (0, 1]; optional.")
    shrinkage = serializers.FloatField(required=False, help_text="In [0, 1); default 0.")
    patience_seconds = serializers.FloatField(
        required=False, help_text="Mean patience, in (0, 86400]; required for erlang_a."
    )
    agents = serializers.IntegerField(
        required=False, help_text="Evaluate this many agents (1-100,000) instead of solving."
    )
    concurrency = serializers.IntegerField(
        required=False,
        help_text="Extension: contacts an agent handles at once (chat), 1-10; default 1.",
    )


class CalculateResponseSerializer(serializers.Serializer):
    agents = serializers.IntegerField()
    scheduled = serializers.IntegerField(help_text="ceil(agents / (1 - shrinkage)), exactly.")
    service_level = serializers.FloatField()
    probability_of_waiting = serializers.FloatField()
    asa_seconds = serializers.FloatField(
        allow_null=True, help_text="Null when Erlang C is unstable."
    )
    occupancy = serializers.FloatField()
    abandon_rate = serializers.FloatField(required=False, help_text="Erlang A only.")


def _number(body, name, errors, *, required=True, integer=False):
    """A JSON number (not a string, not true/false, finite), or None when absent."""
    value = body.get(name)
    if value is None:
        if required:
            errors[name] = ["Required."]
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[name] = ["Expected a number."]
        return None
    if integer and value != int(value):
        errors[name] = ["Expected a whole number."]
        return None
    return int(value) if integer else float(value)


def _check(errors, name, value, ok, message):
    if value is not None and name not in errors and not ok(value):
        errors[name] = [message]


def read_calculation(body) -> dict:
    """The request's values, or a ValidationError naming every bad field."""
    if not isinstance(body, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    errors = {}
    model = body.get("model")
    if model not in erlang.MODELS:
        errors["model"] = [f"One of: {', '.join(erlang.MODELS)}."]
    values = {"model": model}
    for name in ("contacts", "interval_seconds", "aht_seconds", "target_answer_seconds"):
        values[name] = _number(body, name, errors)
    values["agents"] = _number(body, "agents", errors, required=False, integer=True)
    values["target_service_level"] = _number(
        body, "target_service_level", errors, required=values["agents"] is None
    )
    for name in ("max_occupancy", "shrinkage"):
        values[name] = _number(body, name, errors, required=False)
    values["patience_seconds"] = _number(
        body, "patience_seconds", errors, required=model == "erlang_a"
    )
    values["concurrency"] = _number(body, "concurrency", errors, required=False, integer=True)

    for name in ("contacts", "interval_seconds", "aht_seconds"):
        _check(errors, name, values[name], lambda v: v > 0, "Must be greater than 0.")
    _check(errors, "target_answer_seconds", values["target_answer_seconds"], lambda v: v >= 0,
           "Must be 0 or more (0: the share answered at once).")  # fmt: skip
    _check(errors, "target_service_level", values["target_service_level"], lambda v: 0 < v < 1,
           "A share between 0 and 1, both excluded (1 is never reached).")  # fmt: skip
    _check(errors, "max_occupancy", values["max_occupancy"], lambda v: 0 < v <= 1,
           "A share in (0, 1].")  # fmt: skip
    _check(errors, "shrinkage", values["shrinkage"], lambda v: 0 <= v < 1, "A share in [0, 1).")
    _check(errors, "patience_seconds", values["patience_seconds"],
           lambda v: 0 < v <= MAX_PATIENCE_SECONDS,
           f"Seconds in (0, {MAX_PATIENCE_SECONDS:,}].")  # fmt: skip
    _check(errors, "agents", values["agents"], lambda v: 1 <= v <= MAX_AGENTS,
           f"Between 1 and {MAX_AGENTS:,}.")  # fmt: skip
    _check(errors, "concurrency", values["concurrency"], lambda v: 1 <= v <= MAX_CONCURRENCY,
           f"Between 1 and {MAX_CONCURRENCY}.")  # fmt: skip
    if not {"contacts", "interval_seconds", "aht_seconds"} & errors.keys():
        traffic = values["contacts"] * values["aht_seconds"] / values["interval_seconds"]
        if not traffic <= MAX_TRAFFIC_ERLANGS:
            errors["contacts"] = [
                f"{traffic:,.0f} Erlangs (contacts x AHT / interval): at most "
                f"{MAX_TRAFFIC_ERLANGS:,}."
            ]
        elif values["max_occupancy"] and "max_occupancy" not in errors:
            # The cap alone asks for traffic / cap agents: keep that within the agents'
            # range (whether or not `agents` is given, so that no caller of these values
            # solves with a cap that would keep a worker busy for minutes).
            concurrency = values["concurrency"] or 1
            if traffic / values["max_occupancy"] > MAX_AGENTS * concurrency:
                errors["max_occupancy"] = [f"This cap needs more than {MAX_AGENTS:,} agents."]
    if errors:
        raise ValidationError(errors)
    values["shrinkage"] = values["shrinkage"] or 0.0
    values["concurrency"] = values["concurrency"] or 1
    return values


def calculation(values) -> dict:
    """The answer: agents (given or needed), scheduled heads and the performance."""
    model = values["model"]
    interval = {
        "contacts": values["contacts"],
        "aht_seconds": values["aht_seconds"],
        "interval_seconds": values["interval_seconds"],
        "patience_seconds": values["patience_seconds"] if model == "erlang_a" else None,
        "concurrency": values["concurrency"],
    }
    agents = values["agents"]
    if agents is None:
        agents = int(
            erlang.agents_needed(
                model,
                target_service_level=values["target_service_level"],
                answer_seconds=values["target_answer_seconds"],
                max_occupancy=values["max_occupancy"],
                **interval,
            )
        )
    result = erlang.evaluate(
        model, agents, answer_seconds=values["target_answer_seconds"], **interval
    )
    asa = float(result.asa_seconds)
    answer = {
        "agents": agents,
        "scheduled": int(erlang.scheduled(agents, values["shrinkage"])),
        "service_level": float(result.service_level),
        "probability_of_waiting": float(result.probability_of_waiting),
        "asa_seconds": None if np.isnan(asa) else asa,
        "occupancy": float(result.occupancy),
    }
    if result.abandon_rate is not None:
        answer["abandon_rate"] = float(result.abandon_rate)
    return answer


class CalculateView(APIView):
    """Staffing for one interval: the agents needed for a service-level target (and an
    occupancy cap), or the performance of a given head count; scheduled heads after
    shrinkage. Fractions are 0-1, unrounded."""

    @extend_schema(
        request=CalculateRequestSerializer,
        responses=CalculateResponseSerializer,
        examples=[
            OpenApiExample(
                "The classic: 100 calls in 30 minutes, AHT 180 s, 80 % in 20 s",
                value={
                    "model": "erlang_c",
                    "contacts": 100,
                    "interval_seconds": 1800,
                    "aht_seconds": 180,
                    "target_service_level": 0.8,
                    "target_answer_seconds": 20,
                    "shrinkage": 0.3,
                },
                request_only=True,
            ),
            OpenApiExample(
                "Its answer",
                value={
                    "agents": 14,
                    "scheduled": 20,
                    "service_level": 0.8883500191794669,
                    "probability_of_waiting": 0.1741319335950498,
                    "asa_seconds": 7.835937011777241,
                    "occupancy": 0.7142857142857143,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        return Response(calculation(read_calculation(request.data)))
