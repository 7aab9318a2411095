"""API shapes. Incoming records are validated by interactions.records (shared with
every other path); these serializers describe them for the OpenAPI schema and render
what the API returns."""

from rest_framework import serializers

from agents.models import AgentState
from interactions.models import (
    RECORDING_URL_MAX_LENGTH,
    Channel,
    Direction,
    Interaction,
    Queue,
    transcript_max_chars,
    validate_recording_url,
)
from interactions.records import CONTACT_FIELDS


class ContactInSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=128)
    source = serializers.CharField(max_length=64, required=False)
    channel = serializers.ChoiceField(Channel.choices)
    direction = serializers.ChoiceField(Direction.choices, required=False)
    queue = serializers.CharField(max_length=255, required=False)
    agent = serializers.CharField(max_length=255, required=False)
    customer = serializers.CharField(max_length=255, required=False)
    arrived_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(required=False, allow_null=True)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    talk_seconds = serializers.FloatField(min_value=0, max_value=1e9, required=False)
    hold_seconds = serializers.FloatField(min_value=0, max_value=1e9, required=False)
    wrap_seconds = serializers.FloatField(min_value=0, max_value=1e9, required=False)
    transferred = serializers.BooleanField(required=False)
    resolved = serializers.BooleanField(required=False, allow_null=True)
    callback_requested = serializers.BooleanField(required=False)
    topic = serializers.CharField(max_length=255, required=False)
    csat = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    nps = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    recording_url = serializers.URLField(
        max_length=RECORDING_URL_MAX_LENGTH,
        required=False,
        allow_blank=True,
        validators=[validate_recording_url],
        help_text="Where the call's recording is played from: http:// or https:// only. "
        "The supervisor's browser plays it; the server never fetches it.",
    )
    transcript = serializers.CharField(
        max_length=transcript_max_chars(),
        required=False,
        allow_blank=True,
        help_text="The chat log, e-mail thread or call transcript, as plain text "
        "(CONTACT_TRANSCRIPT_MAX_CHARS, 100,000 by default).",
    )


class SurveyInSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=128)
    source = serializers.CharField(max_length=64, required=False)
    csat = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    nps = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    comment = serializers.CharField(required=False)
    answered_at = serializers.DateTimeField(required=False, allow_null=True)


class AgentEventInSerializer(serializers.Serializer):
    agent = serializers.CharField(max_length=255)
    state = serializers.ChoiceField(AgentState.choices)
    at = serializers.DateTimeField()


class RecordResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(["created", "updated", "rejected", "duplicate"])
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class IngestResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    queues_created = serializers.ListField(child=serializers.CharField())
    agents_created = serializers.ListField(child=serializers.CharField())
    answered_without_agent = serializers.IntegerField()
    results = RecordResultSerializer(many=True)


class ContactSerializer(serializers.ModelSerializer):
    queue = serializers.SlugRelatedField(slug_field="name", read_only=True)
    agent = serializers.SlugRelatedField(slug_field="login", read_only=True)
    team = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", *CONTACT_FIELDS, "team", "created_at", "updated_at"]


class QueueSerializer(serializers.ModelSerializer):
    required_skill = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Queue
        fields = [
            "id",
            "name",
            "channel",
            "service_level_seconds",
            "short_abandon_seconds",
            "required_skill",
            "active",
        ]
