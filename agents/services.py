"""Roster writes: agents join, move and leave teams, gain skills, get a login.

Each write is one transaction and is stamped with who made it (`by`), so the history
tables hold who, when, and the values before and after. Past KPIs never move: contacts,
state events and past shifts keep the team they were worked for; only the agent's shifts
still to come follow them to the new team (scheduling moves them, on agent_moved).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from agents.models import Agent, AgentSkill, Skill, Team
from agents.signals import agent_moved
from core.roles import AGENT


def stamp(instance, by, reason: str = ""):
    """Who made the change, and why, for the history row simple-history writes."""
    instance._history_user = by
    if reason:
        instance._change_reason = reason
    return instance


@transaction.atomic
def agent_create(
    *,
    login: str,
    display_name: str = "",
    team: Team | None = None,
    hourly_cost=0,
    username: str = "",
    password: str = "",
    email: str = "",
    by=None,
) -> Agent:
    """A new agent, with a login to contactcenter (in the Agent role) when a user name
    is given."""
    login = login.strip()
    if not login:
        raise ValidationError("An agent needs a login (the id the phone system uses).")
    if Agent.objects.filter(login=login).exists():
        raise ValidationError(f"An agent with login '{login}' already exists.")
    user = None
    if username:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise ValidationError(f"The user name '{username}' is taken.")
        user = User.objects.create_user(username=username, email=email, password=password)
        if not password:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=AGENT)[0])
    agent = Agent(
        login=login, display_name=display_name, team=team, hourly_cost=hourly_cost, user=user
    )
    stamp(agent, by, "created").save()
    return agent


@transaction.atomic
def agent_move(*, agent: Agent, team: Team | None, by=None) -> Agent:
    """Put the agent on `team` (None: no team). Their shifts from now on move with them."""
    if agent.team_id == (team.pk if team else None):
        raise ValidationError(f"{agent} is already on {team or 'no team'}.")
    before = agent.team
    agent.team = team
    reason = f"moved from {before or 'no team'} to {team or 'no team'}"
    stamp(agent, by, reason).save()
    agent_moved.send(sender=Agent, agent=agent, team=team, by=by, reason=reason)
    return agent


@transaction.atomic
def agent_set_active(*, agent: Agent, active: bool, by=None) -> Agent:
    if agent.active == active:
        return agent
    agent.active = active
    stamp(agent, by, "reactivated" if active else "marked inactive").save()
    return agent


@transaction.atomic
def agent_skill_set(*, agent: Agent, skill: Skill, proficiency: int, by=None) -> AgentSkill:
    """Give the agent a skill, or change its proficiency (1 learning to 5 expert)."""
    if not 1 <= int(proficiency) <= 5:
        raise ValidationError("Proficiency is 1 (learning) to 5 (expert).")
    agent_skill = AgentSkill.objects.filter(agent=agent, skill=skill).first()
    if agent_skill is None:
        agent_skill = AgentSkill(agent=agent, skill=skill)
    elif agent_skill.proficiency == int(proficiency):
        return agent_skill
    agent_skill.proficiency = int(proficiency)
    stamp(agent_skill, by).save()
    return agent_skill


@transaction.atomic
def agent_skill_remove(*, agent: Agent, skill: Skill, by=None) -> None:
    for agent_skill in AgentSkill.objects.filter(agent=agent, skill=skill):
        stamp(agent_skill, by).delete()
