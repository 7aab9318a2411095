"""Reads of quality assurance pages: evaluations in reach, one evaluation with its
answers and history, samples and their items' progress (docs/quality.md)."""

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from quality import access
from quality.models import (
    Answer,
    Evaluation,
    EvaluationEvent,
    EvaluationStatus,
    Question,
    Sample,
    SampleItem,
)

EVALUATION_SORTS = {
    "contact": "contact__arrived_at",
    "agent": "agent__display_name",
    "evaluator": "evaluator__username",
    "status": "status",
    "submitted": "submitted_at",
    "points": "points",
}
EVALUATION_COLUMNS = ("id", "contact", "arrived", "agent", "evaluator", "scorecard", "status",
                      "points", "possible", "critical_failed", "submitted_at")  # fmt: skip
EVALUATION_VALUES = ("pk", "contact__external_id", "contact__arrived_at", "agent__login",
                     "evaluator__username", "version__scorecard__name", "status", "points",
                     "possible", "critical_failed", "submitted_at")  # fmt: skip


def _listed(qs: QuerySet[Evaluation]) -> QuerySet[Evaluation]:
    return qs.select_related("contact", "agent", "evaluator", "version__scorecard")


def evaluations_for(user, status: str = "", sort: str = "-submitted") -> QuerySet[Evaluation]:
    """The evaluations the user may read (quality.access), newest first by default."""
    qs = access.visible_evaluations(user)
    if status in EvaluationStatus.values:
        qs = qs.filter(status=status)
    field = EVALUATION_SORTS.get(sort.lstrip("-"), "submitted_at")
    direction = "-" if sort.startswith("-") else ""
    return _listed(qs).order_by(f"{direction}{field}", "-pk")


def own_evaluations(user) -> QuerySet[Evaluation]:
    return _listed(access.own_evaluations(user)).order_by("-submitted_at", "-pk")


def evaluation_page(qs: QuerySet[Evaluation], pk) -> Evaluation | None:
    """One evaluation with its answers (in the form's order) and its history."""
    return (
        _listed(qs)
        .select_related("evaluator", "contact__queue", "contact__team", "sample_item")
        .prefetch_related(
            Prefetch(
                "answers",
                Answer.objects.select_related("question__section").order_by(
                    "question__section__order",
                    "question__section__pk",
                    "question__order",
                    "question__pk",
                ),
            ),
            Prefetch("events", EvaluationEvent.objects.select_related("by")),
        )
        .filter(pk=pk)
        .first()
    )


def question_texts(evaluation: Evaluation) -> dict[int, str]:
    """Question id -> text for the version, to name the answers a rescore changed."""
    return dict(
        Question.objects.filter(section__version=evaluation.version_id).values_list("pk", "text")
    )


def samples_for(user) -> QuerySet[Sample]:
    return Sample.objects.filter(team__in=access.sample_teams(user)).select_related(
        "team", "created_by"
    )


def sample_items(sample: Sample) -> QuerySet[SampleItem]:
    """The sample's contacts, each with its newest evaluation outside calibrations."""
    newest = Evaluation.objects.filter(
        contact=OuterRef("contact"), calibration__isnull=True
    ).order_by("-created_at", "-pk")
    return (
        sample.items.select_related("contact__queue", "agent")
        .annotate(
            evaluation_id=Subquery(newest.values("pk")[:1]),
            evaluation_status=Subquery(newest.values("status")[:1]),
        )
        .order_by("agent__display_name", "contact__arrived_at")
    )
