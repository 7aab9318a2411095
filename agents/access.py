"""Which teams and agents a user may see and change.

Roles and their checks live in core.roles (re-exported here, so a view asks one module).
A supervisor sees and changes the teams they supervise and the agents on them; an agent
sees only themselves. Each helper returns a queryset, so a view filters by it in SQL and a
missing row is a 404, never a leak. The other apps scope their own rows on top of these:
`Queue.objects.visible_to(user)`, `Interaction.objects.visible_to(user)`,
`Shift.objects.visible_to(user)` / `editable_by(user)`, `TimeOff.objects.editable_by(user)`.
"""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from agents.models import Agent, Team
from core.roles import is_admin, is_agent, is_manager, is_supervisor


def agent_of(user) -> Agent | None:
    if not user.is_authenticated:
        return None
    return Agent.objects.filter(user=user).select_related("team").first()


def visible_teams(user) -> QuerySet[Team]:
    if is_manager(user):
        return Team.objects.all()
    if is_supervisor(user):
        return Team.objects.filter(supervisors=user)
    return Team.objects.none()


def editable_teams(user) -> QuerySet[Team]:
    """Teams whose roster and schedules the user may change: the same as they may see."""
    return visible_teams(user)


def visible_agents(user) -> QuerySet[Agent]:
    if is_manager(user):
        return Agent.objects.all()
    condition = Q(pk__in=[])
    if is_supervisor(user):
        condition |= Q(team__supervisors=user)
    if is_agent(user):
        condition |= Q(user=user)
    return Agent.objects.filter(condition).distinct()


def editable_agents(user) -> QuerySet[Agent]:
    """Agents the user may change: managers all, supervisors their teams', agents none."""
    if is_manager(user):
        return Agent.objects.all()
    if is_supervisor(user):
        return Agent.objects.filter(team__supervisors=user).distinct()
    return Agent.objects.none()


def get_team_for_user(user, pk) -> Team:
    """The team, or 404 when it does not exist or the user may not see it."""
    return get_object_or_404(visible_teams(user), pk=pk)


def get_agent_for_user(user, pk) -> Agent:
    return get_object_or_404(visible_agents(user), pk=pk)


def can_edit_team(user, team: Team) -> bool:
    return editable_teams(user).filter(pk=team.pk).exists()


def can_edit_agent(user, agent: Agent) -> bool:
    return editable_agents(user).filter(pk=agent.pk).exists()


def can_move_agent(user, agent: Agent, team: Team | None) -> bool:
    """Managers move anyone anywhere; a supervisor moves an agent between two of their own
    teams, or takes an agent without a team onto one of theirs."""
    if is_manager(user):
        return True
    if team is None or not is_supervisor(user):
        return False
    mine = set(editable_teams(user).values_list("pk", flat=True))
    return team.pk in mine and (agent.team_id is None or agent.team_id in mine)


def agents_to_add(user, team: Team) -> QuerySet[Agent]:
    """Active agents the user may put on this team (see can_move_agent)."""
    others = Agent.objects.filter(active=True).exclude(team=team)
    if is_manager(user):
        return others.select_related("team")
    if not can_edit_team(user, team):
        return Agent.objects.none()
    return others.filter(Q(team__isnull=True) | Q(team__in=editable_teams(user))).select_related(
        "team"
    )


def teams_to_move_to(user, from_team: Team | None) -> QuerySet[Team]:
    """Teams the user may move an agent of `from_team` (None: no team) to."""
    teams = Team.objects.exclude(pk=from_team.pk) if from_team else Team.objects.all()
    if is_manager(user):
        return teams
    if from_team is not None and not can_edit_team(user, from_team):
        return Team.objects.none()
    return teams.filter(pk__in=editable_teams(user))


def can_ingest(user) -> bool:
    """May send contacts, surveys and agent states: managers, admins, and system users
    given the "Can add interaction" permission in the admin."""
    return is_manager(user) or (
        user.is_authenticated and user.has_perm("interactions.add_interaction")
    )


def ingest_source(user) -> str | None:
    """The only source a user may write, None when any (admins). A system user's source
    is its user name: each integration gets its own user and token."""
    return None if is_admin(user) else user.get_username()
