from rest_framework import serializers

from scheduling.models import Shift, ShiftActivity


class ShiftActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = ShiftActivity
        fields = ["kind", "start", "end"]


class ShiftSerializer(serializers.ModelSerializer):
    agent = serializers.SlugRelatedField(slug_field="login", read_only=True)
    agent_name = serializers.CharField(source="agent.__str__", read_only=True)
    team = serializers.SlugRelatedField(slug_field="name", read_only=True)
    activities = ShiftActivitySerializer(many=True, read_only=True)

    class Meta:
        model = Shift
        fields = ["id", "agent", "agent_name", "team", "start", "end", "note", "activities",
                  "updated_at"]  # fmt: skip
