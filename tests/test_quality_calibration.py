"""Calibration: blind scoring, the reveal, the spread per question and who drifts, and
who may do what (agents 403, outsiders 404, nothing changed on a forbidden path)."""

import pytest
from django.urls import reverse

from quality import access
from quality.models import (
    Answer,
    Calibration,
    Evaluation,
    Question,
    QuestionKind,
    Scorecard,
    ScorecardVersion,
    Section,
)
from tests.factories import AgentFactory, InteractionFactory, UserFactory


@pytest.fixture
def card(db):
    """A one-version scorecard: two yes/no questions (one N/A-able) and a scale."""
    scorecard = Scorecard.objects.create(name="Care", channels=["voice"])
    version = ScorecardVersion.objects.create(scorecard=scorecard, number=1)
    greeting = Section.objects.create(version=version, title="Greeting", order=1)
    resolution = Section.objects.create(version=version, title="Resolution", order=2)
    q1 = Question.objects.create(section=greeting, text="Greets by name", order=1)
    q2 = Question.objects.create(
        section=resolution, text="Resolves", kind=QuestionKind.SCALE, order=1
    )
    q3 = Question.objects.create(section=resolution, text="Offers more", allow_na=True, order=2)
    return version, (q1, q2, q3)


@pytest.fixture
def contact(agent_a, team_a):
    return InteractionFactory(agent=agent_a, team=team_a, transcript="Hello, Ana speaking.")


@pytest.fixture
def sup_c(db):
    return UserFactory(username="sup-c", role="Supervisor")


def login(client, user):
    client.force_login(user)
    return client


def create(client, contact, version, evaluators):
    return client.post(
        reverse("calibration-new"),
        {"contact": contact.pk, "evaluators": [u.pk for u in evaluators]},
    )


def score(client, calibration, q, answers):
    data = {f"q{question.pk}": value for question, value in zip(q, answers, strict=True)}
    return client.post(reverse("calibration-detail", args=[calibration.pk]), data)


@pytest.fixture
def calibration(client, supervisor_a, supervisor_b, manager, contact, card):
    version, _ = card
    response = create(login(client, supervisor_a), contact, version,
                      [supervisor_a, supervisor_b, manager])  # fmt: skip
    assert response.status_code == 302
    return Calibration.objects.get()


def test_create_from_a_contact_the_user_may_evaluate(calibration, supervisor_a, contact, card):
    assert calibration.contact == contact
    assert calibration.version == card[0]
    assert calibration.created_by == supervisor_a
    assert set(calibration.evaluators.values_list("username", flat=True)) == {
        "sup-a", "sup-b", "manager"
    }  # fmt: skip


def test_spread_and_drift_equal_the_hand_computed_figures(
    client, calibration, supervisor_a, supervisor_b, manager, card
):
    version, q = card
    # Shares (0-100): sup-a 100, 75, 100; sup-b 100, 100, N/A; manager 100, 25, 100.
    for user, answers in (
        (supervisor_a, ["1", "4", "1"]),
        (supervisor_b, ["1", "5", "na"]),
        (manager, ["1", "2", "1"]),
    ):
        assert score(login(client, user), calibration, q, answers).status_code == 302
    response = login(client, supervisor_a).get(reverse("calibration-detail", args=[calibration.pk]))
    result = response.context["result"]
    people = {row["evaluation"].evaluator.username: row for row in result.evaluators}
    assert people["sup-a"]["score"] == pytest.approx(100 * 2.75 / 3)
    assert people["sup-b"]["score"] == pytest.approx(100.0)
    assert people["manager"]["score"] == pytest.approx(75.0)
    # Score against the mean of the others' scores.
    assert people["sup-a"]["gap"] == pytest.approx(91.6667 - 87.5, abs=1e-3)
    assert people["manager"]["gap"] == pytest.approx(75 - (91.6667 + 100) / 2, abs=1e-3)
    # Drift: mean over the answered questions of |own share - the others' mean share|.
    assert people["sup-a"]["drift"] == pytest.approx((0 + 12.5 + 0) / 3)
    assert people["sup-b"]["drift"] == pytest.approx((0 + 50) / 2)
    assert people["manager"]["drift"] == pytest.approx((0 + 62.5 + 0) / 3)
    assert [people[u]["drifts"] for u in ("sup-a", "sup-b", "manager")] == [False, True, True]
    spread = {row["question"].text: row for row in result.questions}
    assert spread["Greets by name"]["std"] == pytest.approx(0.0)
    assert (spread["Resolves"]["min"], spread["Resolves"]["max"]) == (25.0, 100.0)
    assert spread["Resolves"]["std"] == pytest.approx(31.1805, abs=1e-4)  # population std
    assert spread["Offers more"]["answered"] == 2
    assert spread["Offers more"]["shares"] == [100.0, 100.0, None]  # manager, sup-a, sup-b
    content = response.content.decode()
    assert "drifts" in content and 'id="spread"' in content
    csv = login(client, supervisor_a).get(
        reverse("calibration-detail", args=[calibration.pk]), {"export": "spread"}
    )
    assert csv["Content-Type"].startswith("text/csv")
    assert "Resolves" in b"".join(csv.streaming_content).decode()


def test_scores_stay_hidden_until_everyone_scored_or_the_creator_closes(
    client, calibration, supervisor_a, supervisor_b, card
):
    version, q = card
    score(login(client, supervisor_b), calibration, q, ["0", "1", "0"])
    page = login(client, supervisor_a).get(reverse("calibration-detail", args=[calibration.pk]))
    assert page.context["revealed"] is False and page.context["result"] is None
    assert "0.0 %" not in page.content.decode()  # sup-b's score is not shown
    assert "score-form" in page.content.decode()  # sup-a still scores
    # sup-b sees their own score only.
    own = login(client, supervisor_b).get(reverse("calibration-detail", args=[calibration.pk]))
    assert "0.0 %" in own.content.decode() and own.context["result"] is None
    # The creator closes it: the comparison shows, scoring ends.
    response = login(client, supervisor_a).post(reverse("calibration-close", args=[calibration.pk]))
    assert response.status_code == 302
    page = client.get(reverse("calibration-detail", args=[calibration.pk]))
    assert page.context["revealed"] is True
    assert [row["score"] for row in page.context["result"].evaluators] == [0.0]
    late = score(client, calibration, q, ["1", "5", "1"])
    assert late.status_code == 400
    assert Evaluation.objects.filter(evaluator=supervisor_a).count() == 0


def test_calibration_evaluations_are_stored_scored_and_never_the_agents(
    client, calibration, supervisor_a, agent_a, card
):
    version, q = card
    score(login(client, supervisor_a), calibration, q, ["1", "3", "na"])
    evaluation = Evaluation.objects.get()
    assert evaluation.calibration == calibration and evaluation.agent == agent_a
    assert (evaluation.points, evaluation.possible) == (1.5, 2.0)
    assert evaluation.status == "submitted"
    assert Answer.objects.filter(evaluation=evaluation).count() == 3
    assert not access.own_evaluations(agent_a.user).exists()
    assert not access.visible_evaluations(agent_a.user).exists()


def test_an_incomplete_scoring_is_a_400_naming_the_question_and_stores_nothing(
    client, calibration, supervisor_a, card
):
    version, q = card
    response = login(client, supervisor_a).post(
        reverse("calibration-detail", args=[calibration.pk]), {f"q{q[0].pk}": "1"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors[f"q{q[1].pk}"]
    assert not Evaluation.objects.exists()


def test_an_evaluator_scores_once(client, calibration, supervisor_a, card):
    version, q = card
    assert score(login(client, supervisor_a), calibration, q, ["1", "5", "1"]).status_code == 302
    assert score(client, calibration, q, ["0", "1", "0"]).status_code == 400
    assert Evaluation.objects.get().points == 3.0


def test_bad_calibrations_are_refused_naming_the_field(
    client, supervisor_a, supervisor_b, agent_a, contact, card, team_b
):
    version, _ = card
    login(client, supervisor_a)
    one = create(client, contact, version, [supervisor_a])
    assert one.status_code == 400 and one.context["form"].errors["evaluators"]
    with_agent = create(client, contact, version, [supervisor_a, agent_a.user])
    assert with_agent.status_code == 400 and with_agent.context["form"].errors["evaluators"]
    other = InteractionFactory(agent=AgentFactory(team=team_b), team=team_b)
    outside = create(client, other, version, [supervisor_a, supervisor_b])
    assert outside.status_code == 400 and outside.context["form"].errors["contact"]
    assert not Calibration.objects.exists()


def test_agents_get_403_on_every_calibration_page(client, calibration, agent_a, card):
    version, q = card
    login(client, agent_a.user)
    pages = [
        client.get(reverse("calibration-list")),
        client.get(reverse("calibration-new")),
        client.get(reverse("calibration-detail", args=[calibration.pk])),
        score(client, calibration, q, ["1", "5", "1"]),
        client.post(reverse("calibration-close", args=[calibration.pk])),
        create(client, calibration.contact, version, [agent_a.user, agent_a.user]),
    ]
    assert [page.status_code for page in pages] == [403] * 6
    calibration.refresh_from_db()
    assert calibration.closed_at is None
    assert not Evaluation.objects.exists() and Calibration.objects.count() == 1


def test_a_supervisor_outside_the_calibration_gets_404_and_changes_nothing(
    client, calibration, sup_c, card
):
    version, q = card
    login(client, sup_c)
    assert client.get(reverse("calibration-detail", args=[calibration.pk])).status_code == 404
    assert score(client, calibration, q, ["1", "5", "1"]).status_code == 404
    assert client.post(reverse("calibration-close", args=[calibration.pk])).status_code == 404
    assert not client.get(reverse("calibration-list")).context["rows"]
    calibration.refresh_from_db()
    assert calibration.closed_at is None and not Evaluation.objects.exists()


def test_only_the_creator_or_a_manager_closes_and_a_non_evaluator_cannot_score(
    client, calibration, supervisor_b, manager, supervisor_a, card
):
    version, q = card
    assert (
        login(client, supervisor_b)
        .post(reverse("calibration-close", args=[calibration.pk]))
        .status_code
        == 403
    )
    calibration.refresh_from_db()
    assert calibration.closed_at is None
    calibration.evaluators.remove(supervisor_a)
    assert score(login(client, supervisor_a), calibration, q, ["1", "5", "1"]).status_code == 403
    assert not Evaluation.objects.exists()
    assert (
        login(client, manager).post(reverse("calibration-close", args=[calibration.pk])).status_code
        == 302
    )


def test_the_list_shows_progress_and_an_empty_state(client, calibration, supervisor_a, card):
    version, q = card
    score(login(client, supervisor_a), calibration, q, ["1", "5", "1"])
    page = client.get(reverse("calibration-list"))
    assert [(row.scored_count, row.evaluator_count) for row in page.context["rows"]] == [(1, 3)]
    Calibration.objects.all().delete()
    assert "No calibration yet" in client.get(reverse("calibration-list")).content.decode()
