"""Writes of quality assurance: evaluations (draft, submit, acknowledge, dispute, resolve)
with their history, and samples of contacts to evaluate (docs/quality.md).

Every change of an evaluation records an EvaluationEvent and sends
quality.signals.evaluation_changed with the contact, so kpis re-rolls the contact's day.
Who may do what is the view's question (quality.access); these functions check only
that the step fits the evaluation's status.
"""

from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agents.models import Agent
from core.localtime import local_days, monday_of
from interactions import outcomes
from interactions.models import Interaction
from quality import scoring
from quality.models import (
    Answer,
    Evaluation,
    EvaluationEvent,
    EvaluationStatus,
    Question,
    Sample,
    SampleItem,
)
from quality.signals import evaluation_changed


@dataclass(frozen=True)
class Reply:
    """One question's answer as the form gives it: value (0/1 or 1-5) or N/A."""

    value: int | None
    na: bool = False
    comment: str = ""


def _changed(evaluation: Evaluation):
    evaluation_changed.send(sender=Evaluation, contacts=[evaluation.contact_id])


def _figures(evaluation: Evaluation) -> dict:
    return {
        "points": evaluation.points,
        "possible": evaluation.possible,
        "critical_failed": evaluation.critical_failed,
        "score": evaluation.score,
    }


def _write_answers(evaluation: Evaluation, replies: dict[int, Reply]):
    """Replace the evaluation's answers by `replies` (question id -> Reply)."""
    known = set(
        Question.objects.filter(section__version=evaluation.version_id).values_list("pk", flat=True)
    )
    unknown = set(replies) - known
    if unknown:
        raise ValidationError(f"Questions not on this form: {sorted(unknown)}.")
    evaluation.answers.all().delete()
    Answer.objects.bulk_create(
        Answer(evaluation=evaluation, question_id=qid, value=None if r.na else r.value,
               na=r.na, comment=r.comment)
        for qid, r in replies.items()
    )  # fmt: skip


def _score(evaluation: Evaluation, replies: dict[int, Reply]):
    """Score the replies on the evaluation's version; an unanswered or impossible answer
    is a ValidationError naming its question's field (q<id>)."""
    try:
        result = scoring.score(
            evaluation.version, {qid: (r.value, r.na) for qid, r in replies.items()}
        )
    except scoring.AnswerError as error:
        field = f"q{error.question_id}" if error.question_id else "__all__"
        raise ValidationError({field: str(error)}) from error
    evaluation.points = result.points
    evaluation.possible = result.possible
    evaluation.critical_failed = result.critical_failed


def _lock(evaluation: Evaluation, *allowed: str) -> Evaluation:
    locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if locked.status not in allowed:
        raise ValidationError(
            f"This evaluation is {locked.get_status_display().lower()}: it cannot be changed so."
        )
    return locked


@transaction.atomic
def evaluation_save(
    *,
    contact: Interaction,
    version,
    evaluator,
    replies: dict[int, Reply],
    comment: str = "",
    submit: bool = False,
    evaluation: Evaluation | None = None,
    sample_item: SampleItem | None = None,
) -> Evaluation:
    """Create or update an evaluator's draft of `contact`; with submit, score it and
    submit it (every question answered)."""
    if evaluation is None:
        evaluation = Evaluation.objects.create(
            contact=contact, agent_id=contact.agent_id, evaluator=evaluator, version=version,
            sample_item=sample_item, comment=comment,
        )  # fmt: skip
        EvaluationEvent.objects.create(evaluation=evaluation, kind="created", by=evaluator)
    else:  # a draft, locked so two submits of it make one
        evaluation = _lock(evaluation, EvaluationStatus.DRAFT)
    evaluation.comment = comment
    _write_answers(evaluation, replies)
    if submit:
        _score(evaluation, replies)
        evaluation.status = EvaluationStatus.SUBMITTED
        evaluation.submitted_at = timezone.now()
    evaluation.save()
    if submit:
        EvaluationEvent.objects.create(
            evaluation=evaluation, kind="submitted", by=evaluator, note=comment,
            data=_figures(evaluation),
        )  # fmt: skip
        _changed(evaluation)
    return evaluation


def evaluation_submit(**kwargs) -> Evaluation:
    return evaluation_save(submit=True, **kwargs)


@transaction.atomic
def evaluation_acknowledge(evaluation: Evaluation, by, note: str = "") -> Evaluation:
    evaluation = _lock(evaluation, EvaluationStatus.SUBMITTED, EvaluationStatus.RESOLVED)
    evaluation.status = EvaluationStatus.ACKNOWLEDGED
    evaluation.save(update_fields=["status", "updated_at"])
    EvaluationEvent.objects.create(evaluation=evaluation, kind="acknowledged", by=by, note=note)
    _changed(evaluation)
    return evaluation


@transaction.atomic
def evaluation_dispute(evaluation: Evaluation, by, reason: str) -> Evaluation:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why you dispute this evaluation."})
    evaluation = _lock(evaluation, EvaluationStatus.SUBMITTED)
    evaluation.status = EvaluationStatus.DISPUTED
    evaluation.dispute_reason = reason
    evaluation.save(update_fields=["status", "dispute_reason", "updated_at"])
    EvaluationEvent.objects.create(evaluation=evaluation, kind="disputed", by=by, note=reason)
    _changed(evaluation)
    return evaluation


@transaction.atomic
def dispute_resolve(
    evaluation: Evaluation, by, resolution: str, replies: dict[int, Reply] | None = None
) -> Evaluation:
    """Uphold the evaluation (replies None) or rescore it with `replies`: the history
    keeps the old and the new figures and each changed answer."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": "Say how the dispute is resolved."})
    evaluation = _lock(evaluation, EvaluationStatus.DISPUTED)
    if replies is not None:
        old = _figures(evaluation)
        before = {
            a.question_id: [a.value, a.na, a.comment]
            for a in evaluation.answers.all()
        }  # fmt: skip
        _write_answers(evaluation, replies)
        _score(evaluation, replies)
        after = {
            qid: [r.value if not r.na else None, r.na, r.comment] for qid, r in replies.items()
        }
        changed = [
            {"question": qid, "old": before.get(qid), "new": after[qid]}
            for qid in sorted(after)
            if before.get(qid) != after[qid]
        ]
        EvaluationEvent.objects.create(
            evaluation=evaluation, kind="rescored", by=by, note=resolution,
            data={"old": old, "new": _figures(evaluation), "changed": changed},
        )  # fmt: skip
    evaluation.status = EvaluationStatus.RESOLVED
    evaluation.resolution = resolution
    evaluation.save()
    EvaluationEvent.objects.create(
        evaluation=evaluation, kind="resolved", by=by, note=resolution,
        data={"outcome": "upheld" if replies is None else "rescored"},
    )  # fmt: skip
    _changed(evaluation)
    return evaluation


def _draw(rng: np.random.Generator, strata: list[np.ndarray], n: int) -> list[int]:
    """Round-robin over the strata in random order, each shuffled: every stratum gives one
    before any gives a second."""
    order = rng.permutation(len(strata))
    shuffled = [rng.permutation(strata[i]) for i in order]
    picked = []
    for depth in range(max(len(s) for s in shuffled)):
        picked.extend(int(s[depth]) for s in shuffled if depth < len(s))
        if len(picked) >= n:
            break
    return picked[:n]


@transaction.atomic
def sample_draw(*, team, week, per_agent: int, seed: int, by=None) -> Sample:
    """N random handled contacts per agent of `team` in the week of `week`, fair across
    the (queue, channel) strata each agent worked; the same seed draws the same contacts."""
    week = monday_of(week)
    start, end = local_days(week, 7)
    agents = Agent.objects.filter(team=team)
    rows = np.array(
        list(
            Interaction.objects.filter(
                outcomes.HANDLED, agent__in=agents, arrived_at__gte=start, arrived_at__lt=end
            )
            .order_by("agent_id", "queue_id", "channel", "pk")
            .values_list("agent_id", "queue_id", "channel", "pk")
        ),
        dtype=object,
    ).reshape(-1, 4)
    if not len(rows):
        raise ValidationError(
            {"week": f"{team.name} handled no contacts in the week of {week:%d %b %Y}."}
        )
    sample = Sample.objects.create(team=team, week=week, per_agent=per_agent, seed=seed,
                                   created_by=by)  # fmt: skip
    items = []
    for agent_id in np.unique(rows[:, 0].astype(np.int64)):
        mine = rows[rows[:, 0] == agent_id]
        keys = [f"{q}|{c}" for q, c in mine[:, 1:3]]
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        strata = [mine[inverse == k, 3].astype(np.int64) for k in range(len(first))]
        rng = np.random.default_rng([seed, int(agent_id)])
        items += [
            SampleItem(sample=sample, contact_id=pk, agent_id=int(agent_id))
            for pk in _draw(rng, strata, per_agent)
        ]
    SampleItem.objects.bulk_create(items)
    return sample
