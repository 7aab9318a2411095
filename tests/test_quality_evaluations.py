"""Evaluations through the pages on the real database: a supervisor scores a contact
(draft, submit), the agent acknowledges or disputes, a manager resolves (uphold or
rescore), the history keeps every step; samples are reproducible and fair."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from core.localtime import at_local, monday_of
from quality import services
from quality.models import (
    Calibration,
    Evaluation,
    EvaluationEvent,
    EvaluationStatus,
    Question,
    QuestionKind,
    Sample,
    SampleItem,
    Scorecard,
    ScorecardVersion,
    Section,
)
from quality.signals import evaluation_changed
from tests.factories import AgentFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db

WEEK = monday_of(datetime(2026, 3, 9).date())


def make_form():
    """Greeting (yes/no, weight 2, critical), Empathy (1-5, weight 1), Upsell (yes/no,
    N/A allowed, weight 1)."""
    card = Scorecard.objects.create(name="Care form")
    version = ScorecardVersion.objects.create(scorecard=card, number=1)
    section = Section.objects.create(version=version, title="Opening", order=1)
    greet = Question.objects.create(section=section, text="Greeted by name", weight=2,
                                    critical=True, order=1)  # fmt: skip
    empathy = Question.objects.create(section=section, text="Empathy", kind=QuestionKind.SCALE,
                                      order=2)  # fmt: skip
    upsell = Question.objects.create(section=section, text="Offered upgrade", allow_na=True,
                                     order=3)  # fmt: skip
    return version, greet, empathy, upsell


def handled_contact(agent, **kwargs):
    kwargs.setdefault("arrived_at", at_local(WEEK, datetime.min.time()) + timedelta(hours=10))
    return InteractionFactory(agent=agent, team=agent.team, transcript="Hi, Ana here.", **kwargs)


@pytest.fixture
def form():
    return make_form()


@pytest.fixture
def contact(agent_a):
    return handled_contact(agent_a)


def post_answers(client, url, questions, choices, action="submit", comment="Good call"):
    data = {"action": action, "comment": comment}
    for q, choice in zip(questions, choices, strict=True):
        if choice is not None:
            data[f"q{q.pk}"] = choice
            data[f"c{q.pk}"] = f"note on {q.text}"
    return client.post(url, data)


@pytest.fixture
def signals():
    sent = []

    def receiver(sender, contacts, **kwargs):
        sent.append(list(contacts))

    evaluation_changed.connect(receiver)
    yield sent
    evaluation_changed.disconnect(receiver)


def submitted(contact, form, evaluator, choices=("1", "4", "na")):
    _, *questions = form
    replies = {
        q.pk: services.Reply(value=None if c == "na" else int(c), na=c == "na")
        for q, c in zip(questions, choices, strict=True)
    }
    return services.evaluation_submit(contact=contact, version=form[0], evaluator=evaluator,
                                      replies=replies, comment="ok")  # fmt: skip


def test_supervisor_submits_an_evaluation_scored_with_weights_and_na(
    client, supervisor_a, contact, form, signals
):
    version, *questions = form
    client.force_login(supervisor_a)
    page = client.get(f"/quality/contacts/{contact.pk}/evaluate/")
    assert page.status_code == 200
    assert b"Hi, Ana here." in page.content and b"Greeted by name" in page.content
    response = post_answers(client, f"/quality/contacts/{contact.pk}/evaluate/", questions,
                            ["1", "4", "na"])  # fmt: skip
    evaluation = Evaluation.objects.get()
    assert response.status_code == 302 and response.url == f"/quality/evaluations/{evaluation.pk}/"
    # yes x 2 + (4 - 1) / 4 x 1, N/A left out: 2.75 of 3.
    assert (evaluation.points, evaluation.possible) == (2.75, 3.0)
    assert evaluation.score == pytest.approx(91.6667, abs=1e-3)
    assert evaluation.status == EvaluationStatus.SUBMITTED and evaluation.submitted_at
    assert (evaluation.agent, evaluation.evaluator, evaluation.version) == (
        contact.agent, supervisor_a, version)  # fmt: skip
    assert evaluation.answers.filter(na=True).count() == 1
    assert evaluation.answers.get(question=questions[1]).comment == "note on Empathy"
    assert list(evaluation.events.values_list("kind", flat=True)) == ["created", "submitted"]
    assert evaluation.events.get(kind="submitted").data["points"] == 2.75
    assert signals == [[contact.pk]]
    detail = client.get(response.url)
    assert b"91.7" in detail.content and b"Good call" in detail.content


def test_critical_no_scores_zero_and_is_counted(client, supervisor_a, contact, form):
    _, *questions = form
    client.force_login(supervisor_a)
    post_answers(client, f"/quality/contacts/{contact.pk}/evaluate/", questions, ["0", "5", "1"])
    evaluation = Evaluation.objects.get()
    assert evaluation.critical_failed and evaluation.points == 0 and evaluation.possible == 4
    assert evaluation.score == 0
    assert b"critical fail" in client.get(f"/quality/evaluations/{evaluation.pk}/").content


def test_draft_keeps_partial_answers_then_submits(client, supervisor_a, contact, form, signals):
    _, *questions = form
    client.force_login(supervisor_a)
    url = f"/quality/contacts/{contact.pk}/evaluate/"
    response = post_answers(client, url, questions, ["1", None, None], action="draft")
    draft = Evaluation.objects.get()
    assert response.url == f"/quality/evaluations/{draft.pk}/edit/"
    assert draft.status == EvaluationStatus.DRAFT and draft.answers.count() == 1
    assert signals == []
    # Opening the contact again continues the draft rather than starting another.
    assert client.get(url).url == f"/quality/evaluations/{draft.pk}/edit/"
    edit = client.get(response.url)
    assert edit.status_code == 200 and b'value="1" required checked' not in edit.content
    post_answers(client, response.url, questions, ["1", "3", "0"])
    draft.refresh_from_db()
    assert draft.status == EvaluationStatus.SUBMITTED and (draft.points, draft.possible) == (
        2.5, 4.0)  # fmt: skip
    assert Evaluation.objects.count() == 1 and draft.answers.count() == 3


def test_submit_with_an_unanswered_question_names_it_and_saves_nothing(
    client, supervisor_a, contact, form
):
    _, *questions = form
    client.force_login(supervisor_a)
    response = post_answers(client, f"/quality/contacts/{contact.pk}/evaluate/", questions,
                            ["1", None, "na"])  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].errors == {
        f"q{questions[1].pk}": ["Answer this question to submit."]
    }
    assert Evaluation.objects.count() == 0 and EvaluationEvent.objects.count() == 0


def test_na_where_not_allowed_is_refused(client, supervisor_a, contact, form):
    _, *questions = form
    client.force_login(supervisor_a)
    response = post_answers(client, f"/quality/contacts/{contact.pk}/evaluate/", questions,
                            ["na", "3", "1"])  # fmt: skip
    assert response.status_code == 400 and f"q{questions[0].pk}" in response.context["form"].errors
    assert Evaluation.objects.count() == 0


def test_contact_without_a_scorecard_says_so(client, supervisor_a, contact):
    client.force_login(supervisor_a)
    response = client.get(f"/quality/contacts/{contact.pk}/evaluate/")
    assert response.status_code == 200 and b"No active scorecard applies" in response.content
    assert (
        client.post(f"/quality/contacts/{contact.pk}/evaluate/", {"action": "submit"}).status_code
        == 400
    )
    assert Evaluation.objects.count() == 0


def test_agent_sees_and_acknowledges(client, supervisor_a, agent_a, contact, form, signals):
    evaluation = submitted(contact, form, supervisor_a)
    client.force_login(agent_a.user)
    mine = client.get("/quality/mine/")
    assert list(mine.context["evaluations"]) == [evaluation]
    assert client.get("/quality/").url == "/quality/mine/"
    detail = client.get(f"/quality/evaluations/{evaluation.pk}/")
    assert b"91.7" in detail.content and b"Acknowledge" in detail.content
    response = client.post(f"/quality/evaluations/{evaluation.pk}/acknowledge/")
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.ACKNOWLEDGED
    assert (
        evaluation.events.last().kind == "acknowledged"
        and evaluation.events.last().by == agent_a.user
    )
    assert signals[-1] == [contact.pk]
    # Twice is refused, nothing changes.
    assert client.post(f"/quality/evaluations/{evaluation.pk}/acknowledge/").status_code == 400
    assert evaluation.events.filter(kind="acknowledged").count() == 1


def test_dispute_needs_a_reason_then_a_manager_upholds(client, supervisor_a, agent_a, manager,
                                                        contact, form):  # fmt: skip
    evaluation = submitted(contact, form, supervisor_a)
    client.force_login(agent_a.user)
    url = f"/quality/evaluations/{evaluation.pk}/dispute/"
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400 and "reason" in response.context["dispute_form"].errors
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.SUBMITTED
    assert client.post(url, {"reason": "I did greet him."}).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.DISPUTED
    assert evaluation.dispute_reason == "I did greet him."

    client.force_login(manager)
    page = client.get(f"/quality/evaluations/{evaluation.pk}/")
    assert page.context["resolve_form"] is not None
    resolve = f"/quality/evaluations/{evaluation.pk}/resolve/"
    assert client.post(resolve, {"outcome": "uphold"}).status_code == 400  # no resolution
    response = client.post(resolve, {"outcome": "uphold", "resolution": "Listened: no greeting."})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.RESOLVED and evaluation.points == 2.75
    assert list(evaluation.events.values_list("kind", flat=True)) == [
        "created", "submitted", "disputed", "resolved"]  # fmt: skip
    assert evaluation.events.last().data == {"outcome": "upheld"}
    # The agent then acknowledges the resolved evaluation.
    client.force_login(agent_a.user)
    client.post(f"/quality/evaluations/{evaluation.pk}/acknowledge/")
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.ACKNOWLEDGED


def test_manager_rescores_and_history_keeps_old_and_new(client, supervisor_a, agent_a, manager,
                                                         contact, form, signals):  # fmt: skip
    _, greet, empathy, upsell = form
    evaluation = submitted(contact, form, supervisor_a, choices=("0", "4", "na"))
    assert evaluation.critical_failed
    services.evaluation_dispute(evaluation, by=agent_a.user, reason="I greeted.")
    client.force_login(manager)
    data = {"outcome": "rescore", "resolution": "Greeting heard at 0:04.",
            f"q{greet.pk}": "1", f"q{empathy.pk}": "4", f"q{upsell.pk}": "na"}  # fmt: skip
    response = client.post(f"/quality/evaluations/{evaluation.pk}/resolve/", data)
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert not evaluation.critical_failed and (evaluation.points, evaluation.possible) == (2.75, 3)
    rescored = evaluation.events.get(kind="rescored")
    assert rescored.data["old"] == {"points": 0.0, "possible": 3.0, "critical_failed": True,
                                    "score": 0.0}  # fmt: skip
    assert rescored.data["new"]["points"] == 2.75
    assert rescored.data["changed"] == [{"question": greet.pk, "old": [0, False, ""],
                                         "new": [1, False, ""]}]  # fmt: skip
    assert evaluation.events.last().data == {"outcome": "rescored"}
    assert signals[-1] == [contact.pk]
    page = client.get(f"/quality/evaluations/{evaluation.pk}/")
    assert (
        b"0.0 \xe2\x86\x92 91.7" in page.content
        and b"Greeted by name: 0 \xe2\x86\x92 1" in page.content
    )


def test_rescore_with_a_missing_answer_changes_nothing(client, supervisor_a, agent_a, manager,
                                                       contact, form):  # fmt: skip
    _, greet, empathy, upsell = form
    evaluation = submitted(contact, form, supervisor_a)
    services.evaluation_dispute(evaluation, by=agent_a.user, reason="No.")
    client.force_login(manager)
    data = {"outcome": "rescore", "resolution": "x", f"q{greet.pk}": "0"}
    response = client.post(f"/quality/evaluations/{evaluation.pk}/resolve/", data)
    assert response.status_code == 400
    assert f"q{empathy.pk}" in response.context["resolve_form"].errors
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.DISPUTED and evaluation.points == 2.75


def test_calibration_evaluations_are_not_the_agents(client, supervisor_a, agent_a, contact, form):
    calibration = Calibration.objects.create(contact=contact, version=form[0])
    evaluation = submitted(contact, form, supervisor_a)
    Evaluation.objects.filter(pk=evaluation.pk).update(calibration=calibration)
    client.force_login(agent_a.user)
    assert list(client.get("/quality/mine/").context["evaluations"]) == []
    assert client.get(f"/quality/evaluations/{evaluation.pk}/").status_code == 404
    client.force_login(supervisor_a)
    assert list(client.get("/quality/").context["evaluations"]) == []


def test_supervisor_lists_team_evaluations_and_exports(client, supervisor_a, contact, form):
    evaluation = submitted(contact, form, supervisor_a)
    client.force_login(supervisor_a)
    page = client.get("/quality/")
    assert list(page.context["evaluations"]) == [evaluation]
    assert list(client.get("/quality/?status=disputed").context["evaluations"]) == []
    csv = b"".join(client.get("/quality/?export=evaluations").streaming_content).decode()
    assert csv.lstrip("\ufeff").splitlines()[0].startswith("id,contact,arrived,agent")
    assert f"{evaluation.pk},{contact.external_id}" in csv


def test_contact_pages_link_to_evaluate(client, supervisor_a, agent_a, contact):
    client.force_login(supervisor_a)
    evaluate = f"/quality/contacts/{contact.pk}/evaluate/".encode()
    assert evaluate in client.get("/contacts/").content
    assert evaluate in client.get(f"/contacts/{contact.pk}/").content
    client.force_login(agent_a.user)
    assert evaluate not in client.get(f"/contacts/{contact.pk}/").content


# Samples ---------------------------------------------------------------------------------


@pytest.fixture
def busy_week(agent_a):
    """Agent A: 18 contacts in Billing (voice), one each in Sales voice and Sales chat (90 %
    one queue); agent B of the same team: 5 in Billing. Plus an unanswered and an
    out-of-week contact that never count."""
    billing, sales = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    other = AgentFactory(team=agent_a.team)
    start = at_local(WEEK, datetime.min.time()) + timedelta(hours=9)
    for i in range(18):
        handled_contact(agent_a, queue=billing, arrived_at=start + timedelta(hours=i))
    handled_contact(agent_a, queue=sales, arrived_at=start)
    handled_contact(agent_a, queue=sales, channel="chat", arrived_at=start)
    for i in range(5):
        handled_contact(other, queue=billing, arrived_at=start + timedelta(days=1, hours=i))
    InteractionFactory(agent=agent_a, team=agent_a.team, queue=sales, arrived_at=start,
                       answered_at=None, ended_at=start)  # fmt: skip
    handled_contact(agent_a, queue=sales, arrived_at=start - timedelta(days=1))
    return billing, sales, other


def _drawn(sample, agent):
    return sorted(
        SampleItem.objects.filter(sample=sample, agent=agent).values_list("contact_id", flat=True)
    )


def test_sample_is_reproducible_for_a_seed(team_a, agent_a, busy_week):
    first = services.sample_draw(team=team_a, week=WEEK + timedelta(days=3), per_agent=4, seed=7)
    again = services.sample_draw(team=team_a, week=WEEK, per_agent=4, seed=7)
    assert first.week == WEEK
    assert _drawn(first, agent_a) == _drawn(again, agent_a)
    assert _drawn(first, busy_week[2]) == _drawn(again, busy_week[2])
    assert SampleItem.objects.filter(sample=first).count() == 8
    others = {tuple(_drawn(services.sample_draw(team=team_a, week=WEEK, per_agent=4, seed=s),
                           agent_a)) for s in range(8)}  # fmt: skip
    assert len(others) > 1  # another seed, another draw


def test_sample_takes_each_stratum_before_repeating_one(team_a, agent_a, busy_week):
    billing, sales, _ = busy_week
    for seed in range(20):
        sample = services.sample_draw(team=team_a, week=WEEK, per_agent=4, seed=seed)
        strata = list(
            SampleItem.objects.filter(sample=sample, agent=agent_a).values_list(
                "contact__queue__name", "contact__channel"
            )
        )
        assert sorted(strata) == [("Billing", "voice"), ("Billing", "voice"), ("Sales", "chat"),
                                  ("Sales", "voice")]  # fmt: skip


def test_sample_of_an_empty_week_is_refused(client, supervisor_a, team_a, agent_a):
    client.force_login(supervisor_a)
    response = client.post("/quality/samples/new/", {"team": team_a.pk, "week": "2026-03-09",
                                                      "per_agent": 3})  # fmt: skip
    assert response.status_code == 400 and "week" in response.context["sample_form"].errors
    assert Sample.objects.count() == 0


def test_sample_page_lists_contacts_to_evaluate(client, supervisor_a, team_a, agent_a, busy_week,
                                                form):  # fmt: skip
    client.force_login(supervisor_a)
    response = client.post("/quality/samples/new/", {"team": team_a.pk, "week": "2026-03-11",
                                                      "per_agent": 2, "seed": 3})  # fmt: skip
    sample = Sample.objects.get()
    assert response.url == f"/quality/samples/{sample.pk}/" and sample.seed == 3
    page = client.get(response.url)
    items = list(page.context["items"])
    assert len(items) == 4 and b"to evaluate" in page.content
    item = items[0]
    url = f"/quality/contacts/{item.contact_id}/evaluate/?sample_item={item.pk}"
    assert url.encode() in page.content.replace(b"&amp;", b"&")
    _, *questions = form
    post_answers(client, url, questions, ["1", "5", "1"])
    evaluation = Evaluation.objects.get()
    assert evaluation.sample_item == item
    statuses = {i.pk: i.evaluation_status for i in client.get(response.url).context["items"]}
    assert statuses[item.pk] == "submitted"
    csv = b"".join(client.get(response.url + "?export=sample").streaming_content).decode()
    assert len(csv.splitlines()) == 5


def test_pages_query_counts_do_not_grow_with_rows(client, django_assert_num_queries, supervisor_a,
                                                   agent_a, team_a, busy_week, form):  # fmt: skip
    """Exact query counts with five evaluations and a sample of eight: no query per row."""
    contacts = list(agent_a.interactions.filter(answered_at__isnull=False)[:5])
    evaluations = [submitted(c, form, supervisor_a) for c in contacts]
    sample = services.sample_draw(team=team_a, week=WEEK, per_agent=4, seed=1)
    client.force_login(supervisor_a)
    with django_assert_num_queries(11):
        assert client.get("/quality/").status_code == 200
    with django_assert_num_queries(8):
        assert client.get(f"/quality/samples/{sample.pk}/").status_code == 200
    with django_assert_num_queries(12):
        assert client.get(f"/quality/evaluations/{evaluations[0].pk}/").status_code == 200
    client.force_login(agent_a.user)
    with django_assert_num_queries(8):
        assert client.get("/quality/mine/").status_code == 200


def test_a_submitted_evaluation_is_not_edited_again(supervisor_a, contact, form):
    evaluation = submitted(contact, form, supervisor_a)
    with pytest.raises(ValidationError):
        services.evaluation_save(contact=contact, version=form[0], evaluator=supervisor_a,
                                 replies={}, evaluation=evaluation)  # fmt: skip
    evaluation.refresh_from_db()
    assert evaluation.answers.count() == 3 and evaluation.events.count() == 2
