"""Scorecard versions (docs/quality.md, "Scorecards and versions").

A scorecard's newest version is the one new evaluations use. A version that an evaluation
or a calibration points at is *used*: it is never changed again. Editing it copies it
(sections and questions) to a new newest version and applies the edit there, so old
evaluations keep the form they were scored on. An unused version is edited in place.
"""

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q

from quality.models import Calibration, Evaluation, Question, Scorecard, ScorecardVersion, Section


def current_version(scorecard):
    """The newest version of `scorecard` (the one new evaluations use), or None."""
    return scorecard.versions.order_by("-number").first()


def current_versions():
    """Every scorecard's newest version."""
    newer = ScorecardVersion.objects.filter(
        scorecard=OuterRef("scorecard"), number__gt=OuterRef("number")
    )
    return ScorecardVersion.objects.filter(~Exists(newer))


def first_version(scorecard, by=None):
    """The scorecard's current version, made (v1, empty) if it has none yet."""
    return current_version(scorecard) or ScorecardVersion.objects.create(
        scorecard=scorecard, number=1, created_by=by
    )


def is_used(version):
    """Whether an evaluation or a calibration points at `version`."""
    return (
        Evaluation.objects.filter(version=version).exists()
        or Calibration.objects.filter(version=version).exists()
    )


@transaction.atomic
def copy_version(version, by=None):
    """A deep copy of `version` as its scorecard's next number, with maps from the old
    sections' and questions' pks to their copies: (new_version, sections, questions)."""
    # Lock the scorecard so two editors cannot both take the same next number.
    Scorecard.objects.select_for_update().get(pk=version.scorecard_id)
    number = version.scorecard.versions.aggregate(n=Max("number"))["n"] + 1
    new = ScorecardVersion.objects.create(
        scorecard_id=version.scorecard_id, number=number, created_by=by
    )
    old_sections = list(Section.objects.filter(version=version).order_by("pk"))
    copies = Section.objects.bulk_create(
        [Section(version=new, title=s.title, order=s.order) for s in old_sections]
    )
    sections = {old.pk: copy for old, copy in zip(old_sections, copies, strict=True)}
    old_questions = list(Question.objects.filter(section__version=version).order_by("pk"))
    fields = ("text", "help_text", "kind", "weight", "allow_na", "critical", "order")
    copies = Question.objects.bulk_create(
        [
            Question(section=sections[q.section_id], **{f: getattr(q, f) for f in fields})
            for q in old_questions
        ]
    )
    questions = {old.pk: copy for old, copy in zip(old_questions, copies, strict=True)}
    return new, sections, questions


def editable_version(version, by=None):
    """Where an edit of `version` goes: the version itself if unused (maps empty), else
    a fresh copy (see copy_version). Returns (version, sections, questions)."""
    if is_used(version):
        return copy_version(version, by)
    return version, {}, {}


def scorecard_for(contact):
    """The active scorecard (with a version) that applies to `contact`: one naming the
    contact's queue beats one for its channel only, which beats a catch-all (no queues,
    no channels); ties go to the name. None if none applies."""
    through = Scorecard.queues.through
    candidates = (
        Scorecard.objects.filter(active=True)
        .annotate(
            has_version=Exists(ScorecardVersion.objects.filter(scorecard=OuterRef("pk"))),
            for_queue=Exists(
                through.objects.filter(scorecard=OuterRef("pk"), queue_id=contact.queue_id)
            ),
            any_queue=Exists(through.objects.filter(scorecard=OuterRef("pk"))),
        )
        .filter(Q(for_queue=True) | Q(any_queue=False), has_version=True)
    )
    # A handful of configured forms: the channel list (JSON) is checked here, portably.
    fitting = [s for s in candidates if not s.channels or contact.channel in s.channels]
    fitting.sort(key=lambda s: (not s.for_queue, not s.channels, s.name))
    return fitting[0] if fitting else None
