"""Calibration: several evaluators score the same contact blind on the same scorecard
version, then compare (docs/quality.md, "Calibration and coaching").

An evaluator sees only their own scoring until the calibration is revealed: closed by its
creator, or scored by every evaluator. Calibration evaluations are Evaluation rows with
`calibration` set, scored with quality.scoring.score like any other; they are never shown
to the agent and never counted in the agent's KPIs (the rollup reads calibration IS NULL).
"""

import warnings
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from core.roles import MANAGER, SUPERVISOR, is_manager, is_supervisor
from interactions.models import Interaction
from quality import access, versions
from quality.models import (
    Answer,
    Calibration,
    Evaluation,
    EvaluationEvent,
    EvaluationStatus,
    Question,
    QuestionKind,
    ScorecardVersion,
)
from quality.scoring import AnswerError, score, share

# An evaluator whose answers differ from the others' mean by more than this many points
# of a question's share (0-100), averaged over the questions, drifts from the group.
DRIFT_THRESHOLD = 15.0


# Reads --------------------------------------------------------------------------------


def possible_evaluators() -> QuerySet:
    """Users who may score a calibration: active managers, supervisors and admins."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=[MANAGER, SUPERVISOR]) | Q(is_staff=True))
        .distinct()
        .order_by("username")
    )


def calibrations_for(user) -> QuerySet[Calibration]:
    """Calibrations the user may open: managers all; supervisors those they created or
    score; anyone else none."""
    qs = Calibration.objects.select_related("contact__agent", "version__scorecard", "created_by")
    if is_manager(user):
        return qs
    if is_supervisor(user):
        mine = Calibration.objects.filter(Q(created_by=user) | Q(evaluators=user))
        return qs.filter(pk__in=mine.values("pk"))
    return qs.none()


def with_progress(qs: QuerySet[Calibration]) -> QuerySet[Calibration]:
    """Each calibration with how many evaluators it has and how many have scored."""
    scored = (
        Evaluation.objects.filter(calibration=OuterRef("pk"), status=EvaluationStatus.SUBMITTED)
        .order_by()
        .values("calibration")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        evaluator_count=Count("evaluators", distinct=True), scored_count=Subquery(scored)
    )


def questions_of(version: ScorecardVersion) -> list[Question]:
    return list(
        Question.objects.filter(section__version=version)
        .select_related("section")
        .order_by("section__order", "section__pk", "order", "pk")
    )


def scored_evaluations(calibration: Calibration) -> QuerySet[Evaluation]:
    return calibration.evaluations.filter(status=EvaluationStatus.SUBMITTED).select_related(
        "evaluator"
    )


def is_revealed(calibration: Calibration) -> bool:
    """Closed, or every evaluator has scored."""
    if calibration.closed_at:
        return True
    return scored_evaluations(calibration).count() >= calibration.evaluators.count()


@dataclass
class Comparison:
    evaluators: list[dict]  # evaluation, score, gap (score - others' mean), drift, drifts
    questions: list[dict]  # question, shares (one per evaluator, None for N/A), min/max/std
    threshold: float


def comparison(calibration: Calibration) -> Comparison:
    """Each evaluator's score, the spread of each question's points share (0-100: yes 100,
    no 0, a scale's (value - 1) / 4) across the evaluators (min, max, population standard
    deviation), and who drifts: an evaluator's mean absolute difference, over the
    questions, from the mean of the other evaluators' shares, beyond DRIFT_THRESHOLD.
    N/A answers are left out of a question's spread and of the drift."""
    evaluations = list(scored_evaluations(calibration).order_by("evaluator__username", "pk"))
    questions = questions_of(calibration.version)
    if not evaluations:
        return Comparison([], [], DRIFT_THRESHOLD)
    eval_ids = [e.pk for e in evaluations]
    question_ids = np.array([q.pk for q in questions])
    scale = np.array([q.kind == QuestionKind.SCALE for q in questions], dtype=bool)
    rows = np.array(
        list(
            Answer.objects.filter(evaluation__in=eval_ids, na=False)
            .order_by()
            .values_list("evaluation_id", "question_id", "value")
        ),
        dtype=float,
    ).reshape(-1, 3)
    values = np.full((len(eval_ids), len(question_ids)), np.nan)
    order_e = np.argsort(eval_ids)
    e_index = order_e[np.searchsorted(np.array(eval_ids)[order_e], rows[:, 0])]
    order_q = np.argsort(question_ids)
    q_index = order_q[np.searchsorted(question_ids[order_q], rows[:, 1])]
    values[e_index, q_index] = rows[:, 2]
    shares = 100.0 * share(values, scale)

    answered = ~np.isnan(shares)
    counts = answered.sum(axis=0)
    scores = np.array([np.nan if e.score is None else e.score for e in evaluations])
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-N/A columns read nan
        q_min, q_max = np.nanmin(shares, axis=0), np.nanmax(shares, axis=0)
        q_std = np.nanstd(shares, axis=0)
        # The others' mean, per evaluator and question: (column total - own) / (n - 1).
        others = (np.nansum(shares, axis=0) - np.nan_to_num(shares)) / (counts - 1)
        gaps = np.where(answered & (counts > 1), np.abs(shares - others), np.nan)
        drift = np.nanmean(gaps, axis=1)
        scored = ~np.isnan(scores)
        score_others = (np.nansum(scores) - np.nan_to_num(scores)) / (scored.sum() - 1)
        gap = np.where(scored & (scored.sum() > 1), scores - score_others, np.nan)

    def number(x):
        return None if np.isnan(x) else float(x)

    people = [
        {
            "evaluation": evaluation,
            "score": number(scores[i]),
            "gap": number(gap[i]),
            "drift": number(drift[i]),
            "drifts": bool(drift[i] > DRIFT_THRESHOLD),
        }
        for i, evaluation in enumerate(evaluations)
    ]
    spread = [
        {
            "question": question,
            "shares": [number(x) for x in shares[:, j]],
            "min": number(q_min[j]),
            "max": number(q_max[j]),
            "std": number(q_std[j]),
            "answered": int(counts[j]),
        }
        for j, question in enumerate(questions)
    ]
    return Comparison(people, spread, DRIFT_THRESHOLD)


# Writes -------------------------------------------------------------------------------


def calibration_create(user, contact: Interaction, evaluators) -> Calibration:
    """A calibration of `contact` for `evaluators` (at least two supervisors or managers)
    on the current version of the scorecard that applies to it, as an evaluation would
    be (quality.versions.scorecard_for). The user must be allowed to evaluate the
    contact."""
    if not access.can_evaluate(user, contact):
        raise PermissionDenied("You cannot evaluate this contact.")
    scorecard = versions.scorecard_for(contact)
    if scorecard is None:
        raise ValidationError({"contact": "No active scorecard applies to this contact."})
    evaluators = list(evaluators)
    allowed = set(
        possible_evaluators().filter(pk__in=[u.pk for u in evaluators]).values_list("pk", flat=True)
    )
    strangers = [u.get_username() for u in evaluators if u.pk not in allowed]
    if strangers:
        raise ValidationError(
            {"evaluators": f"Not a supervisor or manager: {', '.join(strangers)}."}
        )
    if len({u.pk for u in evaluators}) < 2:
        raise ValidationError({"evaluators": "Choose at least two evaluators."})
    with transaction.atomic():
        calibration = Calibration.objects.create(
            contact=contact, version=versions.current_version(scorecard), created_by=user
        )
        calibration.evaluators.set(evaluators)
    return calibration


def calibration_score(user, calibration: Calibration, replies: dict, comment: str = ""):
    """The user's blind scoring of the calibration (replies: question id ->
    quality.services.Reply, every question answered). Once, while it is open, by one of
    its evaluators; a missing or impossible answer is a ValidationError naming q<id>."""
    with transaction.atomic():
        calibration = Calibration.objects.select_for_update().get(pk=calibration.pk)
        if not calibration.evaluators.filter(pk=user.pk).exists():
            raise PermissionDenied("You are not an evaluator of this calibration.")
        if calibration.closed_at:
            raise ValidationError("This calibration is closed.")
        if calibration.evaluations.filter(evaluator=user).exists():
            raise ValidationError("You have already scored this calibration.")
        try:
            result = score(calibration.version, {q: (r.value, r.na) for q, r in replies.items()})
        except AnswerError as error:
            field = f"q{error.question_id}" if error.question_id else "__all__"
            raise ValidationError({field: str(error)}) from error
        now = timezone.now()
        evaluation = Evaluation.objects.create(
            contact=calibration.contact,
            agent_id=calibration.contact.agent_id,
            evaluator=user,
            version=calibration.version,
            status=EvaluationStatus.SUBMITTED,
            points=result.points,
            possible=result.possible,
            critical_failed=result.critical_failed,
            comment=comment,
            calibration=calibration,
            submitted_at=now,
        )
        Answer.objects.bulk_create(
            Answer(evaluation=evaluation, question_id=question_id, value=None if r.na else r.value,
                   na=r.na, comment=r.comment)
            for question_id, r in replies.items()
        )  # fmt: skip
        EvaluationEvent.objects.create(
            evaluation=evaluation,
            kind="submitted",
            by=user,
            data={"points": result.points, "possible": result.possible, "calibration": True},
        )
    return evaluation


def calibration_close(user, calibration: Calibration) -> Calibration:
    """Closed by its creator (or a manager): scoring ends and the comparison shows."""
    if calibration.created_by_id != user.pk and not is_manager(user):
        raise PermissionDenied("Only the calibration's creator or a manager closes it.")
    updated = Calibration.objects.filter(pk=calibration.pk, closed_at__isnull=True).update(
        closed_at=timezone.now()
    )
    if not updated:
        raise ValidationError("This calibration is already closed.")
    calibration.refresh_from_db()
    return calibration
