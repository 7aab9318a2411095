"""Scoring on hand-made forms, the expected scores worked out by hand in each test."""

import pytest

from quality.models import Question, QuestionKind, Scorecard, ScorecardVersion, Section
from quality.scoring import AnswerError, Result, score

pytestmark = pytest.mark.django_db

YES, NO, NA = (1, False), (0, False), (None, True)


def scale(value):
    return (value, False)


@pytest.fixture
def form():
    """Greeting (yes/no, weight 1), Empathy (scale, weight 2, N/A allowed), Verified
    identity (yes/no, weight 3, critical), Upsell (yes/no, weight 2, N/A allowed)."""
    version = ScorecardVersion.objects.create(
        scorecard=Scorecard.objects.create(name="Calls"), number=1
    )
    opening = Section.objects.create(version=version, title="Opening", order=1)
    close = Section.objects.create(version=version, title="Close", order=2)
    questions = {
        "greeting": Question.objects.create(section=opening, text="Greeting", weight=1),
        "empathy": Question.objects.create(
            section=opening, text="Empathy", kind=QuestionKind.SCALE, weight=2, allow_na=True
        ),
        "identity": Question.objects.create(
            section=close, text="Verified identity", weight=3, critical=True
        ),
        "upsell": Question.objects.create(section=close, text="Upsell", weight=2, allow_na=True),
    }
    return version, {key: q.pk for key, q in questions.items()}


def answers(ids, **given):
    return {ids[key]: answer for key, answer in given.items()}


def test_weights_and_a_scale(form):
    version, ids = form
    # Greeting yes 1x1 = 1; empathy 4 -> (4-1)/4 x 2 = 1.5; identity yes 3; upsell no 0.
    # Points 5.5 of 8 possible: 68.75.
    result = score(version, answers(ids, greeting=YES, empathy=scale(4), identity=YES, upsell=NO))
    assert result == Result(points=5.5, possible=8.0, critical_failed=False, score=68.75)


def test_scale_ends(form):
    version, ids = form
    # Empathy 5 -> 2 of 2, empathy 1 -> 0 of 2 (not critical, so no fail).
    top = score(version, answers(ids, greeting=NO, empathy=scale(5), identity=YES, upsell=NO))
    assert (top.points, top.possible, top.score) == (5.0, 8.0, 62.5)
    low = score(version, answers(ids, greeting=NO, empathy=scale(1), identity=YES, upsell=NO))
    assert (low.points, low.possible, low.critical_failed, low.score) == (3.0, 8.0, False, 37.5)


def test_na_left_out_of_points_and_possible(form):
    version, ids = form
    # Empathy and upsell N/A: greeting 1 + identity 3 of 1 + 3 possible: 100.
    result = score(version, answers(ids, greeting=YES, empathy=NA, identity=YES, upsell=NA))
    assert result == Result(points=4.0, possible=4.0, critical_failed=False, score=100.0)
    # Greeting no: 3 of 4: 75.
    result = score(version, answers(ids, greeting=NO, empathy=NA, identity=YES, upsell=NA))
    assert result.score == 75.0


def test_a_critical_fail_scores_zero_and_is_counted(form):
    version, ids = form
    # Everything else perfect (1 + 2 + 2 = 5), identity "no": points 0 of 8, score 0.
    result = score(version, answers(ids, greeting=YES, empathy=scale(5), identity=NO, upsell=YES))
    assert result == Result(points=0.0, possible=8.0, critical_failed=True, score=0.0)


def test_a_critical_scale_question_fails_on_one(form):
    version, ids = form
    Question.objects.filter(pk=ids["empathy"]).update(critical=True)
    result = score(version, answers(ids, greeting=YES, empathy=scale(1), identity=YES, upsell=YES))
    assert result == Result(points=0.0, possible=8.0, critical_failed=True, score=0.0)
    # 2 on the scale is poor, not a fail: 1 + 0.5 + 3 + 2 = 6.5 of 8.
    result = score(version, answers(ids, greeting=YES, empathy=scale(2), identity=YES, upsell=YES))
    assert result == Result(points=6.5, possible=8.0, critical_failed=False, score=81.25)


def test_all_na_has_no_score():
    version = ScorecardVersion.objects.create(
        scorecard=Scorecard.objects.create(name="Optional"), number=1
    )
    section = Section.objects.create(version=version, title="Only")
    a = Question.objects.create(section=section, text="A", allow_na=True)
    b = Question.objects.create(section=section, text="B", kind="scale", allow_na=True)
    result = score(version, {a.pk: NA, b.pk: NA})
    assert result == Result(points=0.0, possible=0.0, critical_failed=False, score=None)


def test_na_where_not_allowed_names_the_question(form):
    version, ids = form
    with pytest.raises(AnswerError, match="Greeting") as error:
        score(version, answers(ids, greeting=NA, empathy=NA, identity=YES, upsell=NA))
    assert error.value.question_id == ids["greeting"]
    assert isinstance(error.value, ValueError)


def test_a_missing_answer_names_the_question(form):
    version, ids = form
    with pytest.raises(AnswerError, match="Verified identity.*not answered") as error:
        score(version, answers(ids, greeting=YES, empathy=NA, upsell=NA))
    assert error.value.question_id == ids["identity"]
    with pytest.raises(AnswerError, match="Upsell.*not answered"):
        score(version, answers(ids, greeting=YES, empathy=NA, identity=YES, upsell=(None, False)))


@pytest.mark.parametrize(
    "key, answer, message",
    [
        ("greeting", (2, False), "Greeting.*0 \\(no\\) or 1 \\(yes\\), not 2"),
        ("greeting", (True, False), "Greeting.*not True"),
        ("empathy", (0, False), "Empathy.*1 to 5, not 0"),
        ("empathy", (6, False), "Empathy.*1 to 5, not 6"),
        ("empathy", (3, True), "Empathy.*both N/A and 3"),
    ],
)
def test_out_of_range_values_name_the_question(form, key, answer, message):
    version, ids = form
    given = {"greeting": YES, "empathy": NA, "identity": YES, "upsell": NA, key: answer}
    with pytest.raises(AnswerError, match=message) as error:
        score(version, answers(ids, **given))
    assert error.value.question_id == ids[key]


def test_answers_to_another_versions_questions_are_refused(form):
    version, ids = form
    other = ScorecardVersion.objects.create(scorecard=version.scorecard, number=2)
    stranger = Question.objects.create(
        section=Section.objects.create(version=other, title="X"), text="Stranger"
    )
    given = answers(ids, greeting=YES, empathy=NA, identity=YES, upsell=NA)
    with pytest.raises(AnswerError, match=f"not on Calls v1: {stranger.pk}"):
        score(version, {**given, stranger.pk: YES})


def test_scoring_writes_nothing(form, django_assert_num_queries):
    version, ids = form
    with django_assert_num_queries(1):
        score(version, answers(ids, greeting=YES, empathy=NA, identity=YES, upsell=NA))
