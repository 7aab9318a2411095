"""Scoring an evaluation on a scorecard version (docs/quality.md, "Scoring").

Pure: reads the version's questions, writes nothing. Each answered question earns

- yes/no: yes (1) = 1 x weight, no (0) = 0;
- scale 1-5: (value - 1) / 4 x weight;

and can earn weight. N/A answers (only where the question allows them) are left out of
both points and possible. A critical question answered "no" (or 1 on a scale) fails the
evaluation: points 0, possible as counted, score 0. score = 100 x points / possible, None
when nothing could be scored (possible 0).
"""

from typing import NamedTuple

import numpy as np

from quality.models import Question, QuestionKind

SCALE_MIN, SCALE_MAX = 1, 5


class Result(NamedTuple):
    points: float
    possible: float
    critical_failed: bool
    score: float | None


class AnswerError(ValueError):
    """An answer that cannot be scored; `question_id` says which question (None when
    the problem is an answer to a question that is not on the version)."""

    def __init__(self, message, question_id=None):
        super().__init__(message)
        self.question_id = question_id


def _check(question, answer):
    """The answer's value as a number (nan for N/A), or AnswerError naming the question."""
    pk, text, kind, allow_na = question
    if answer is None:
        raise AnswerError(f"Question “{text}” is not answered.", pk)
    value, na = answer
    if na:
        if not allow_na:
            raise AnswerError(f"Question “{text}” cannot be answered N/A.", pk)
        if value is not None:
            raise AnswerError(f"Question “{text}” is answered both N/A and {value}.", pk)
        return np.nan
    if value is None:
        raise AnswerError(f"Question “{text}” is not answered.", pk)
    allowed = (0, 1) if kind == QuestionKind.YES_NO else range(SCALE_MIN, SCALE_MAX + 1)
    if isinstance(value, bool) or value not in allowed:
        expected = "0 (no) or 1 (yes)" if kind == QuestionKind.YES_NO else "1 to 5"
        raise AnswerError(f"Question “{text}” must be answered {expected}, not {value!r}.", pk)
    return float(value)


def share(values, scale):
    """The share of a question's weight an answer earns: yes 1, no 0; on the 1-5 scale
    (value - 1) / 4. Arrays in, arrays out (the scale mask says which are scale answers)."""
    return np.where(scale, (values - SCALE_MIN) / (SCALE_MAX - SCALE_MIN), values)


def score(version, answers) -> Result:
    """Score `answers` ({question_id: (value or None, na)}) on `version`'s questions.

    Every question of the version needs an answer, and every answer a question of the
    version; otherwise AnswerError (a ValueError) names the question."""
    rows = list(
        Question.objects.filter(section__version=version)
        .order_by("pk")
        .values_list("pk", "text", "kind", "allow_na", "weight", "critical")
    )
    strangers = sorted(set(answers) - {row[0] for row in rows})
    if strangers:
        raise AnswerError(
            f"Answers to questions not on {version}: {', '.join(map(str, strangers))}."
        )
    values = np.array([_check(row[:4], answers.get(row[0])) for row in rows], dtype=float)
    kinds = np.array([row[2] for row in rows], dtype=object)
    weights = np.array([row[4] for row in rows], dtype=float)
    critical = np.array([row[5] for row in rows], dtype=bool)

    answered = ~np.isnan(values)
    scale = kinds == QuestionKind.SCALE
    earned = share(values, scale)
    lowest = np.where(scale, SCALE_MIN, 0)
    critical_failed = bool(np.any(critical & answered & (values == lowest)))

    possible = float(weights[answered].sum())
    if critical_failed:
        return Result(0.0, possible, True, 0.0)
    points = float((earned[answered] * weights[answered]).sum())
    return Result(points, possible, False, 100.0 * points / possible if possible else None)
