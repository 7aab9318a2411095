"""Coaching: a supervisor's session with one of their team's agents, linked to some of
the agent's evaluations and to KPIs, with the agreed action and a follow-up date
(docs/quality.md, "Calibration and coaching").

Who: managers coach anyone; supervisors their teams' agents (agents.access.editable_agents);
an agent reads their own sessions. KPI keys are stored as given: quality sits below kpis
and cannot read its registry, so the page that records a session (kpis.coaching_views)
offers and validates them against kpis.definitions.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from agents import access
from agents.models import Agent, Team
from core.localtime import local_today
from core.roles import is_agent, is_manager
from quality.models import CoachingSession, Evaluation, EvaluationStatus

# Reads --------------------------------------------------------------------------------


def coachable_agents(user) -> QuerySet[Agent]:
    """Agents the user may coach: managers all, supervisors their teams'."""
    return access.editable_agents(user)


def sessions_for(user) -> QuerySet[CoachingSession]:
    """Sessions the user may read: those of agents they coach, and an agent's own."""
    condition = Q(pk__in=[])
    if is_manager(user):
        condition = Q()
    else:
        condition |= Q(agent__in=coachable_agents(user))
        if is_agent(user):
            condition |= Q(agent__user=user)
    return CoachingSession.objects.filter(condition).select_related("agent__team", "coach")


def may_change(user, session: CoachingSession) -> bool:
    return coachable_agents(user).filter(pk=session.agent_id).exists()


def linkable_evaluations(agent: Agent) -> QuerySet[Evaluation]:
    """The agent's evaluations a session may cite: submitted ones, never a calibration's."""
    return (
        Evaluation.objects.filter(agent=agent, calibration__isnull=True)
        .exclude(status=EvaluationStatus.DRAFT)
        .select_related("version__scorecard")
        .order_by("-submitted_at", "-pk")
    )


def overdue_follow_ups(team: Team, today: date | None = None) -> QuerySet[CoachingSession]:
    """Sessions of the team's agents whose follow-up date has passed without a follow-up."""
    today = today or local_today()
    return (
        CoachingSession.objects.filter(
            agent__team=team, follow_up_on__lt=today, followed_up_at__isnull=True
        )
        .select_related("agent", "coach")
        .order_by("follow_up_on", "pk")
    )


# Writes -------------------------------------------------------------------------------


def session_create(
    user,
    *,
    agent: Agent,
    held_on: date,
    discussed: str,
    action: str,
    follow_up_on: date | None = None,
    evaluations=(),
    kpis=(),
) -> CoachingSession:
    """Record a session; the user must coach the agent, the evaluations must be the
    agent's (not a calibration's), the follow-up no earlier than the session."""
    if not coachable_agents(user).filter(pk=agent.pk).exists():
        raise PermissionDenied("You do not coach this agent.")
    evaluations = list(evaluations)
    ids = {e.pk for e in evaluations}
    if len(ids) != linkable_evaluations(agent).filter(pk__in=ids).count():
        raise ValidationError({"evaluations": "Link only this agent's submitted evaluations."})
    if follow_up_on is not None and follow_up_on < held_on:
        raise ValidationError({"follow_up_on": "The follow-up cannot be before the session."})
    if not discussed.strip() or not action.strip():
        field = "discussed" if not discussed.strip() else "action"
        raise ValidationError({field: "Say what was discussed and the action agreed."})
    with transaction.atomic():
        session = CoachingSession.objects.create(
            agent=agent, coach=user, held_on=held_on, discussed=discussed, action=action,
            follow_up_on=follow_up_on, kpis=sorted(set(kpis)),
        )  # fmt: skip
        session.evaluations.set(evaluations)
    return session


def follow_up_done(user, session: CoachingSession) -> CoachingSession:
    """Mark the session's follow-up done (now), once, by someone who coaches the agent."""
    if not may_change(user, session):
        raise PermissionDenied("You do not coach this agent.")
    if session.follow_up_on is None:
        raise ValidationError("This session has no follow-up.")
    updated = CoachingSession.objects.filter(pk=session.pk, followed_up_at__isnull=True).update(
        followed_up_at=timezone.now()
    )
    if not updated:
        raise ValidationError("The follow-up is already done.")
    session.refresh_from_db()
    return session
