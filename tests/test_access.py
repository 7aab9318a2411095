"""Who sees and changes what: supervisors their teams, agents themselves."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from agents import access
from core import roles
from interactions.models import Interaction, Queue
from tests.factories import AgentFactory, InteractionFactory, QueueFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor(team_a, team_b, agent_a, agent_b):
    """Two teams, each with a queue, two agents and a contact per agent."""
    queue_a, queue_b = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    team_a.queues.add(queue_a)
    team_b.queues.add(queue_b)
    extra_a = AgentFactory(team=team_a)
    extra_b = AgentFactory(team=team_b)
    contacts = {
        agent: InteractionFactory(agent=agent, team=agent.team, queue=queue_a)
        for agent in (agent_a, agent_b, extra_a, extra_b)
    }
    return {"queues": (queue_a, queue_b), "extra": (extra_a, extra_b), "contacts": contacts}


def test_manager_and_admin_see_everything(manager, admin_user, floor):
    for user in (manager, admin_user):
        assert access.visible_teams(user).count() == 2
        assert access.visible_agents(user).count() == 4
        assert Queue.objects.visible_to(user).count() == 2
        assert Interaction.objects.visible_to(user).count() == 4
        assert access.editable_agents(user).count() == 4


def test_supervisor_sees_only_their_teams(supervisor_a, team_a, agent_a, floor):
    assert list(access.visible_teams(supervisor_a)) == [team_a]
    assert set(access.visible_agents(supervisor_a)) == {agent_a, floor["extra"][0]}
    assert list(Queue.objects.visible_to(supervisor_a)) == [floor["queues"][0]]
    # Their teams' contacts, and every contact offered to the queues their teams serve
    # (here all four are Billing's, team B's too): a queue's numbers and the contacts
    # behind them agree. Team B's contact in Sales, a queue team A does not serve, stays out.
    elsewhere = InteractionFactory(agent=floor["extra"][1], team=floor["extra"][1].team,
                                   queue=floor["queues"][1])  # fmt: skip
    visible = set(Interaction.objects.visible_to(supervisor_a))
    assert visible == set(floor["contacts"].values()) and elsewhere not in visible
    assert set(access.editable_agents(supervisor_a)) == {agent_a, floor["extra"][0]}


def test_supervisor_cannot_reach_other_team(supervisor_a, team_b, agent_b, floor):
    assert not access.can_edit_team(supervisor_a, team_b)
    assert not access.can_edit_agent(supervisor_a, agent_b)
    with pytest.raises(Http404):
        access.get_team_for_user(supervisor_a, team_b.pk)
    with pytest.raises(Http404):
        access.get_agent_for_user(supervisor_a, agent_b.pk)


def test_supervisor_of_two_teams_sees_both(supervisor_a, team_b, floor):
    team_b.supervisors.add(supervisor_a)
    assert access.visible_teams(supervisor_a).count() == 2
    assert access.visible_agents(supervisor_a).count() == 4
    assert Interaction.objects.visible_to(supervisor_a).count() == 4


def test_agent_sees_only_themselves(agent_a, floor):
    user = agent_a.user
    assert list(access.visible_agents(user)) == [agent_a]
    assert list(Interaction.objects.visible_to(user)) == [floor["contacts"][agent_a]]
    assert not access.visible_teams(user).exists()
    assert not Queue.objects.visible_to(user).exists()
    assert not access.editable_agents(user).exists()
    assert access.get_agent_for_user(user, agent_a.pk) == agent_a
    with pytest.raises(Http404):
        access.get_agent_for_user(user, floor["extra"][0].pk)


def test_contacts_stay_with_the_team_they_were_taken_in(supervisor_a, team_b, agent_a, floor):
    """Moving an agent does not move their past contacts to the new team's supervisor."""
    agent_a.team = team_b
    agent_a.save()
    assert floor["contacts"][agent_a] in Interaction.objects.visible_to(supervisor_a)


def test_user_without_role_and_anonymous_see_nothing(floor):
    nobody = UserFactory(username="nobody")
    for user in (nobody, AnonymousUser()):
        assert not access.visible_teams(user).exists()
        assert not access.visible_agents(user).exists()
        assert not Interaction.objects.visible_to(user).exists()
        assert roles.role_of(user) is None


def test_roles(manager, supervisor_a, agent_a, admin_user):
    assert roles.role_of(admin_user) == "Admin"
    assert roles.role_of(manager) == "Manager"
    assert roles.role_of(supervisor_a) == "Supervisor"
    assert roles.role_of(agent_a.user) == "Agent"
    assert access.agent_of(agent_a.user) == agent_a
    assert access.agent_of(manager) is None
