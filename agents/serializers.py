from rest_framework import serializers

from agents.models import Agent, Team


class TeamSerializer(serializers.ModelSerializer):
    supervisors = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    queues = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "supervisors", "queues"]


class AgentSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="name", read_only=True)
    skills = serializers.SerializerMethodField()

    class Meta:
        model = Agent
        fields = ["id", "login", "display_name", "team", "active", "skills"]

    def get_skills(self, agent) -> dict[str, int]:
        return {link.skill.name: link.proficiency for link in agent.agent_skills.all()}
