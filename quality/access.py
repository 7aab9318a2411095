"""Who may evaluate which contact and see which evaluation (docs/quality.md).

Supervisors evaluate the handled contacts of their teams' agents (agents.access); managers
any agent's; agents evaluate nothing and see only their own evaluations once submitted,
never a calibration's. A manager resolves disputes; supervisors cannot. Each helper
returns a queryset, so a view filters in SQL and a row out of reach is a 404.
"""

from django.db.models import Q, QuerySet

from agents import access
from core.roles import is_agent, is_manager
from interactions import outcomes
from interactions.models import Interaction
from quality.models import Evaluation, EvaluationStatus


def evaluable_contacts(user) -> QuerySet[Interaction]:
    """Handled contacts of agents the user may evaluate (their teams' agents)."""
    return Interaction.objects.visible_to(user).filter(
        outcomes.HANDLED, agent__in=access.editable_agents(user)
    )


def can_evaluate(user, contact: Interaction) -> bool:
    return evaluable_contacts(user).filter(pk=contact.pk).exists()


def visible_evaluations(user) -> QuerySet[Evaluation]:
    """Evaluations outside calibrations the user may read: managers all; supervisors
    their teams' agents' (and their own drafts' contacts within them); agents their own
    once submitted."""
    condition = Q(pk__in=[])
    if is_manager(user):
        condition = Q()
    else:
        condition |= Q(agent__in=access.editable_agents(user))
        if is_agent(user):
            agent = access.agent_of(user)
            if agent is not None:
                condition |= Q(agent=agent) & ~Q(status=EvaluationStatus.DRAFT)
    return Evaluation.objects.filter(condition, calibration__isnull=True).exclude(
        Q(status=EvaluationStatus.DRAFT) & ~Q(evaluator=user)
    )


def editable_drafts(user) -> QuerySet[Evaluation]:
    """The user's own drafts on agents they still may evaluate."""
    return Evaluation.objects.filter(
        evaluator=user,
        status=EvaluationStatus.DRAFT,
        calibration__isnull=True,
        agent__in=access.editable_agents(user),
    )


def own_evaluations(user) -> QuerySet[Evaluation]:
    """The evaluations of the user's own agent that the agent acknowledges or disputes."""
    agent = access.agent_of(user)
    if agent is None:
        return Evaluation.objects.none()
    return Evaluation.objects.filter(agent=agent, calibration__isnull=True).exclude(
        status=EvaluationStatus.DRAFT
    )


def can_resolve(user) -> bool:
    """Disputes are a manager's to resolve."""
    return is_manager(user)


def sample_teams(user):
    """Teams the user may draw samples for and read them: managers all, supervisors
    theirs."""
    return access.editable_teams(user)
