"""Who may evaluate, see, acknowledge, dispute and resolve evaluations, and draw and read
samples: every forbidden path, GET and POST, is a 403 or 404 and changes nothing."""

import pytest

from quality import services
from quality.models import Evaluation, EvaluationEvent, EvaluationStatus, Sample, SampleItem
from tests.factories import InteractionFactory, UserFactory
from tests.test_quality_evaluations import WEEK, handled_contact, make_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def form():
    return make_form()


@pytest.fixture
def contact(agent_a):
    return handled_contact(agent_a)


def replies(form, choices=("1", "4", "na")):
    _, *questions = form
    return {
        q.pk: services.Reply(value=None if c == "na" else int(c), na=c == "na")
        for q, c in zip(questions, choices, strict=True)
    }


@pytest.fixture
def evaluation(contact, form, supervisor_a):
    return services.evaluation_submit(contact=contact, version=form[0], evaluator=supervisor_a,
                                      replies=replies(form))  # fmt: skip


@pytest.fixture
def disputed(evaluation, agent_a):
    return services.evaluation_dispute(evaluation, by=agent_a.user, reason="Not fair.")


def answer_data(form, action="submit"):
    _, *questions = form
    data = {f"q{q.pk}": c for q, c in zip(questions, ["1", "3", "1"], strict=True)}
    return {**data, "action": action}


def snapshot():
    """What a forbidden request must leave as it was."""
    return (
        list(Evaluation.objects.order_by("pk").values_list("pk", "status", "points", "dispute_reason",
                                                           "resolution")),
        EvaluationEvent.objects.count(),
        Sample.objects.count(),
        SampleItem.objects.count(),
    )  # fmt: skip


def test_other_teams_supervisor_cannot_evaluate(client, supervisor_b, contact, form):
    client.force_login(supervisor_b)
    before = snapshot()
    url = f"/quality/contacts/{contact.pk}/evaluate/"
    assert client.get(url).status_code == 404
    assert client.post(url, answer_data(form)).status_code == 404
    assert snapshot() == before


def test_agents_cannot_evaluate_even_their_own(client, agent_a, contact, form):
    client.force_login(agent_a.user)
    before = snapshot()
    url = f"/quality/contacts/{contact.pk}/evaluate/"
    assert client.get(url).status_code == 403
    assert client.post(url, answer_data(form)).status_code == 403
    assert snapshot() == before


def test_unanswered_or_agentless_contacts_are_not_evaluated(client, supervisor_a, agent_a, form):
    waiting = InteractionFactory(agent=agent_a, team=agent_a.team, answered_at=None,
                                 ended_at=None)  # fmt: skip
    client.force_login(supervisor_a)
    agentless = InteractionFactory(team=agent_a.team)
    for contact in (waiting, agentless):
        url = f"/quality/contacts/{contact.pk}/evaluate/"
        assert client.get(url).status_code == 404
        assert client.post(url, answer_data(form)).status_code == 404
    assert Evaluation.objects.count() == 0


def test_anonymous_is_sent_to_log_in(client, contact, evaluation, form):
    before = snapshot()
    for url in (f"/quality/contacts/{contact.pk}/evaluate/", f"/quality/evaluations/{evaluation.pk}/",
                "/quality/", "/quality/mine/"):  # fmt: skip
        assert client.get(url).url.startswith("/login/")
    for action in ("acknowledge", "dispute", "resolve"):
        response = client.post(f"/quality/evaluations/{evaluation.pk}/{action}/", {"reason": "x"})
        assert response.status_code == 302 and response.url.startswith("/login/")
    assert snapshot() == before


def test_other_agent_and_other_supervisor_cannot_see_or_answer(
    client, agent_b, supervisor_b, evaluation
):
    before = snapshot()
    detail = f"/quality/evaluations/{evaluation.pk}/"
    client.force_login(agent_b.user)
    assert client.get(detail).status_code == 404
    assert list(client.get("/quality/mine/").context["evaluations"]) == []
    for action, data in (("acknowledge", {}), ("dispute", {"reason": "Mine now"})):
        assert client.post(f"{detail}{action}/", data).status_code == 404
    client.force_login(supervisor_b)
    assert client.get(detail).status_code == 404
    assert list(client.get("/quality/").context["evaluations"]) == []
    assert snapshot() == before


def test_evaluator_cannot_answer_for_the_agent(client, supervisor_a, evaluation):
    client.force_login(supervisor_a)
    before = snapshot()
    for action, data in (("acknowledge", {}), ("dispute", {"reason": "On their behalf"})):
        assert (
            client.post(f"/quality/evaluations/{evaluation.pk}/{action}/", data).status_code == 403
        )
    assert snapshot() == before


def test_only_a_manager_resolves(client, supervisor_a, agent_a, disputed, form):
    before = snapshot()
    url = f"/quality/evaluations/{disputed.pk}/resolve/"
    data = {"outcome": "rescore", "resolution": "Changed", **answer_data(form)}
    for user in (supervisor_a, agent_a.user):
        client.force_login(user)
        assert client.post(url, data).status_code == 403
        assert client.get(url).status_code in (403, 405)
        page = client.get(f"/quality/evaluations/{disputed.pk}/")
        assert page.status_code == 200 and page.context["resolve_form"] is None
    assert snapshot() == before
    assert Evaluation.objects.get().status == EvaluationStatus.DISPUTED


def test_drafts_are_the_evaluators_alone(client, supervisor_a, manager, agent_a, contact, form):
    draft = services.evaluation_save(contact=contact, version=form[0], evaluator=supervisor_a,
                                     replies={})  # fmt: skip
    colleague = UserFactory(username="sup-a2", role="Supervisor")
    agent_a.team.supervisors.add(colleague)
    before = snapshot()
    for user in (agent_a.user, colleague, manager):
        client.force_login(user)
        assert client.get(f"/quality/evaluations/{draft.pk}/").status_code == 404
        edit = f"/quality/evaluations/{draft.pk}/edit/"
        expected = 403 if user == agent_a.user else 404
        assert client.get(edit).status_code == expected
        assert client.post(edit, answer_data(form)).status_code == expected
    client.force_login(agent_a.user)
    assert client.post(f"/quality/evaluations/{draft.pk}/acknowledge/").status_code == 404
    assert snapshot() == before


def test_samples_are_for_the_teams_supervisors(client, supervisor_a, supervisor_b, agent_a,
                                               team_a, contact):  # fmt: skip
    sample = services.sample_draw(team=team_a, week=WEEK, per_agent=2, seed=1)
    before = snapshot()
    data = {"team": team_a.pk, "week": WEEK.isoformat(), "per_agent": 2}
    client.force_login(supervisor_b)
    assert client.get(f"/quality/samples/{sample.pk}/").status_code == 404
    response = client.post("/quality/samples/new/", data)
    assert response.status_code == 400 and "team" in response.context["sample_form"].errors
    client.force_login(agent_a.user)
    assert client.get(f"/quality/samples/{sample.pk}/").status_code == 404
    assert client.post("/quality/samples/new/", data).status_code == 403
    assert snapshot() == before
    client.force_login(supervisor_a)
    assert client.get(f"/quality/samples/{sample.pk}/").status_code == 200


def test_a_sample_item_of_another_team_is_not_attached(client, supervisor_a, supervisor_b, team_b,
                                                       agent_a, agent_b, contact, form):  # fmt: skip
    """An evaluation links only a sample item of the same contact and a team in reach."""
    other = handled_contact(agent_b)
    sample = services.sample_draw(team=team_b, week=WEEK, per_agent=1, seed=1)
    item = sample.items.get()
    assert item.contact == other
    client.force_login(supervisor_a)
    url = f"/quality/contacts/{contact.pk}/evaluate/?sample_item={item.pk}"
    assert client.post(url, answer_data(form)).status_code == 302
    assert Evaluation.objects.get().sample_item is None


def test_manager_evaluates_any_agent_and_sees_all(client, manager, contact, evaluation, form):
    client.force_login(manager)
    assert list(client.get("/quality/").context["evaluations"]) == [evaluation]
    assert client.get(f"/quality/contacts/{contact.pk}/evaluate/").status_code == 200
