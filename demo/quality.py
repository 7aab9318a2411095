"""The demo's quality assurance: a scorecard, a few weeks of evaluations by each team's
supervisor of its agents, one closed calibration and a few coaching sessions
(docs/quality.md). Built after the contacts and before the rollup, so the quality KPIs
roll up with the rest. Scores are computed by quality.scoring.score, as the product does.
"""

import random
from datetime import date, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone

from agents.models import Agent, Team
from core.localtime import local_days
from interactions import outcomes
from interactions.models import Interaction
from quality.models import (
    Answer,
    Calibration,
    CoachingSession,
    Evaluation,
    EvaluationEvent,
    EvaluationStatus,
    Question,
    QuestionKind,
    Scorecard,
    ScorecardVersion,
    Section,
)
from quality.scoring import score

WEEKS = 3  # weeks of evaluations before the last day
PER_AGENT_WEEK = 1

# Section, [(text, kind, weight, allow_na, critical)]
SCORECARD = [
    ("Greeting", [
        ("Greeted the customer and gave their name", QuestionKind.YES_NO, 1, False, False),
        ("Confirmed the reason for the contact", QuestionKind.YES_NO, 1, False, False),
    ]),
    ("Resolution", [
        ("Understood the problem", QuestionKind.SCALE, 2, False, False),
        ("Resolved it or set a clear next step", QuestionKind.SCALE, 3, False, False),
        ("Offered further help", QuestionKind.YES_NO, 1, True, False),
    ]),
    ("Compliance", [
        ("Verified the customer's identity before account details", QuestionKind.YES_NO, 2,
         False, True),
        ("Read the recording disclosure (calls)", QuestionKind.YES_NO, 1, True, False),
    ]),
]  # fmt: skip


def _scorecard() -> tuple[ScorecardVersion, list[Question]]:
    card = Scorecard.objects.create(
        name="Customer care",
        description="How well a voice or chat contact was handled.",
        channels=["voice", "chat"],
    )
    version = ScorecardVersion.objects.create(scorecard=card, number=1)
    questions = []
    for s_order, (title, rows) in enumerate(SCORECARD, start=1):
        section = Section.objects.create(version=version, title=title, order=s_order)
        questions += Question.objects.bulk_create(
            Question(section=section, text=text, kind=kind, weight=weight, allow_na=na,
                     critical=critical, order=order)
            for order, (text, kind, weight, na, critical) in enumerate(rows, start=1)
        )  # fmt: skip
    return version, questions


def _answers(rng: random.Random, questions, skill: float) -> dict:
    """{question_id: (value, na)} for an agent whose answers are good with chance `skill`."""
    answers = {}
    for q in questions:
        if q.allow_na and rng.random() < 0.25:
            answers[q.pk] = (None, True)
        elif q.kind == QuestionKind.SCALE:
            answers[q.pk] = (1 + sum(rng.random() < skill for _ in range(4)), False)
        else:
            good = skill + (1 - skill) * 0.8 if q.critical else skill
            answers[q.pk] = (int(rng.random() < good), False)
    return answers


def _evaluation(version, contact, evaluator, answers, at, **fields) -> tuple:
    result = score(version, answers)
    evaluation = Evaluation(
        contact_id=contact["pk"], agent_id=contact["agent_id"], evaluator=evaluator,
        version=version, points=result.points, possible=result.possible,
        critical_failed=result.critical_failed, submitted_at=at,
        **({"status": EvaluationStatus.SUBMITTED} | fields),
    )  # fmt: skip
    return evaluation, answers


def _store(pairs, events_for) -> list[Evaluation]:
    evaluations = Evaluation.objects.bulk_create([e for e, _ in pairs])
    Answer.objects.bulk_create(
        Answer(evaluation=e, question_id=qid, value=None if na else value, na=na)
        for e, (_, answers) in zip(evaluations, pairs, strict=True)
        for qid, (value, na) in answers.items()
    )
    EvaluationEvent.objects.bulk_create(event for e in evaluations for event in events_for(e))
    return evaluations


def _events(evaluation: Evaluation, agent_user_id: int | None) -> list[EvaluationEvent]:
    data = {"points": evaluation.points, "possible": evaluation.possible,
            "critical_failed": evaluation.critical_failed, "score": evaluation.score}  # fmt: skip
    events = [
        EvaluationEvent(evaluation=evaluation, kind="created", by=evaluation.evaluator),
        EvaluationEvent(
            evaluation=evaluation, kind="submitted", by=evaluation.evaluator, data=data
        ),  # fmt: skip
    ]
    if evaluation.status in (EvaluationStatus.ACKNOWLEDGED, EvaluationStatus.DISPUTED):
        kind = "acknowledged" if evaluation.status == EvaluationStatus.ACKNOWLEDGED else "disputed"
        events.append(EvaluationEvent(evaluation=evaluation, kind=kind, by_id=agent_user_id,
                                      note=evaluation.dispute_reason))  # fmt: skip
    return events


def seed_quality(*, seed: int, last_day: date) -> dict:
    """The demo's scorecard, evaluations, calibration and coaching; returns their counts."""
    rng = random.Random(f"quality-{seed}")
    version, questions = _scorecard()
    users = {u.username: u for u in get_user_model().objects.all()}
    start = last_day - timedelta(weeks=WEEKS) + timedelta(days=1)
    handled = Interaction.objects.filter(
        outcomes.HANDLED, channel__in=["voice", "chat"], agent__isnull=False,
        arrived_at__range=local_days(start, WEEKS * 7),
    )  # fmt: skip
    # Each team's supervisor evaluates PER_AGENT_WEEK random contacts per agent per week:
    # the first of each agent's contacts in a shuffled week.
    picks = []
    shuffle = np.random.default_rng(seed)
    for week in range(WEEKS):
        first = start + timedelta(weeks=week)
        rows = np.array(
            handled.filter(arrived_at__range=local_days(first, 7))
            .values_list("pk", "agent_id", "agent__team_id")
            .order_by("pk"),
            dtype=np.int64,
        ).reshape(-1, 3)
        rows = rows[shuffle.permutation(len(rows))]
        for _ in range(PER_AGENT_WEEK):
            _agents, index = np.unique(rows[:, 1], return_index=True)
            picks += [(week, *row) for row in rows[index].tolist()]
            rows = np.delete(rows, index, axis=0)
    arrived = dict(
        Interaction.objects.filter(pk__in=[p[1] for p in picks]).values_list("pk", "arrived_at")
    )
    supervisor_of = {
        team.pk: min(team.supervisors.all(), key=lambda u: u.username, default=None)
        for team in Team.objects.prefetch_related("supervisors")
    }
    demo_agent = Agent.objects.filter(user__username="agent").first()
    skill = {}
    now = timezone.now()
    pairs = []
    for week, contact_id, agent_id, team_id in picks:
        evaluator = supervisor_of.get(team_id)
        if evaluator is None:
            continue
        skill.setdefault(agent_id, rng.uniform(0.7, 0.97))
        contact = {"pk": contact_id, "agent_id": agent_id}
        at = min(arrived[contact_id] + timedelta(days=rng.uniform(0.5, 3)), now)
        # The last week is new to the agents; older weeks are mostly acknowledged.
        status = EvaluationStatus.SUBMITTED
        if week < WEEKS - 1 and rng.random() < 0.8:
            status = EvaluationStatus.ACKNOWLEDGED
        pairs.append(_evaluation(version, contact, evaluator,
                                 _answers(rng, questions, skill[agent_id]), at, status=status))  # fmt: skip
    if demo_agent is not None:
        # The demo agent has one disputed evaluation (a manager resolves it) among theirs.
        own = [e for e, _ in pairs if e.agent_id == demo_agent.pk]
        if own:
            own[0].status = EvaluationStatus.DISPUTED
            own[0].dispute_reason = "The customer refused identity checks; I followed the script."
    agent_users = dict(Agent.objects.filter(user__isnull=False).values_list("pk", "user_id"))
    evaluations = _store(pairs, lambda e: _events(e, agent_users.get(e.agent_id)))

    calibration = _calibration(rng, version, questions, handled, users, last_day)
    sessions = _coaching(rng, users, demo_agent, evaluations, last_day)
    return {"evaluations": len(evaluations), "calibrations": int(calibration is not None),
            "coaching_sessions": sessions}  # fmt: skip


def _calibration(rng, version, questions, handled, users, last_day):
    """A closed calibration of a Care North voice contact by three evaluators."""
    evaluators = [users[name] for name in ("supervisor", "supervisor.south", "manager")
                  if name in users]  # fmt: skip
    contact = (
        handled.filter(channel="voice", team__name="Care North")
        .exclude(evaluations__isnull=False)
        .values("pk", "agent_id", "arrived_at")
        .order_by("-arrived_at")
        .first()
    )
    if contact is None or len(evaluators) < 2:
        return None
    calibration = Calibration.objects.create(
        contact_id=contact["pk"], version=version, created_by=evaluators[0],
        closed_at=timezone.now(),
    )  # fmt: skip
    calibration.evaluators.set(evaluators)
    # The manager reads the contact more strictly than the two supervisors.
    strictness = [0.9, 0.85, 0.55]
    pairs = [
        _evaluation(version, contact, user, _answers(rng, questions, strict),
                    contact["arrived_at"] + timedelta(days=1), calibration=calibration)
        for user, strict in zip(evaluators, strictness, strict=False)
    ]  # fmt: skip
    _store(pairs, lambda e: [EvaluationEvent(evaluation=e, kind="submitted", by=e.evaluator,
                                             data={"calibration": True})])  # fmt: skip
    return calibration


def _coaching(rng, users, demo_agent, evaluations, last_day) -> int:
    """A few sessions by Care North's supervisor: the demo agent's (its follow-up overdue),
    one followed up, one still to come."""
    coach = users.get("supervisor")
    if coach is None or demo_agent is None:
        return 0
    team_agents = list(demo_agent.team.agents.order_by("login")[:3]) if demo_agent.team else []
    plans = [
        (demo_agent, 10, -3, False, ["quality_score", "aht"],
         "Identity checks skipped on two billing calls; long holds while searching the "
         "knowledge base.",
         "Verify identity before any account detail; use the billing quick-reference "
         "instead of holding."),
    ]  # fmt: skip
    others = [a for a in team_agents if a.pk != demo_agent.pk]
    if others:
        plans.append((others[0], 20, -6, True, ["fcr"],
                      "Callers ringing back about the same refund.",
                      "Confirm the refund date and send the written summary before closing."))  # fmt: skip
    if len(others) > 1:
        plans.append((others[1], 4, 10, False, ["csat", "quality_score"],
                      "Tone on chats with upset customers.",
                      "Acknowledge the problem first; one empathy line per chat."))  # fmt: skip
    made = 0
    for agent, days_ago, follow_up, done, kpis, discussed, action in plans:
        held_on = last_day - timedelta(days=days_ago)
        session = CoachingSession.objects.create(
            agent=agent, coach=coach, held_on=held_on, kpis=kpis, discussed=discussed,
            action=action, follow_up_on=last_day + timedelta(days=follow_up),
            followed_up_at=timezone.now() if done else None,
        )  # fmt: skip
        session.evaluations.set([e for e in evaluations if e.agent_id == agent.pk][:2])
        made += 1
    return made
