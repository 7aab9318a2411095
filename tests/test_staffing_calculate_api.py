"""POST /api/v1/staffing/calculate/: the spec's shape and worked example, evaluating a
given head count (Erlang C unstable included), Erlang A's abandonment, chat concurrency
(our extension), every bad input of the spec answered 400 naming the field, and
anonymous callers refused."""

import pytest
from rest_framework.test import APIClient

from staffing.erlang import evaluate

pytestmark = pytest.mark.django_db

URL = "/api/v1/staffing/calculate/"
CLASSIC = {
    "model": "erlang_c",
    "contacts": 100,
    "interval_seconds": 1800,
    "aht_seconds": 180,
    "target_service_level": 0.8,
    "target_answer_seconds": 20,
    "max_occupancy": 0.85,
    "shrinkage": 0.3,
}
KEYS = {"agents", "scheduled", "service_level", "probability_of_waiting", "asa_seconds",
        "occupancy"}  # fmt: skip


def post(user, body, **kwargs):
    client = APIClient(**kwargs)
    if user is not None:
        client.force_authenticate(user)
    return client.post(URL, body, format="json")


def answer(user, body):
    response = post(user, body)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_worked_example_in_the_specs_shape(manager):
    body = answer(manager, CLASSIC)
    assert set(body) == KEYS
    assert body["agents"] == 14
    assert body["scheduled"] == 20  # 14 / 0.7 exactly
    assert round(body["service_level"], 3) == 0.888
    assert round(body["probability_of_waiting"], 3) == 0.174
    assert round(body["asa_seconds"], 2) == 7.84
    assert round(body["occupancy"], 3) == 0.714
    # Unrounded: the engine's floats as they are.
    exact = evaluate("erlang_c", 14, 100, 180, 1800, 20)
    assert body["service_level"] == float(exact.service_level)
    assert body["asa_seconds"] == float(exact.asa_seconds)


def test_optional_fields_and_scheduled_exactness(manager):
    plain = {
        key: value for key, value in CLASSIC.items() if key not in {"max_occupancy", "shrinkage"}
    }
    body = answer(manager, plain)
    assert body["agents"] == 14 and body["scheduled"] == 14  # shrinkage defaults to 0
    assert answer(manager, {**plain, "agents": 21, "shrinkage": 0.3})["scheduled"] == 30
    # A tight occupancy cap raises the answer above the service-level need.
    capped = answer(manager, {**plain, "max_occupancy": 0.6})
    assert capped["agents"] == 17 and capped["occupancy"] <= 0.6


def test_evaluating_a_given_head_count(manager):
    body = answer(manager, {**CLASSIC, "agents": 15, "target_service_level": None})
    assert body["agents"] == 15
    assert body["scheduled"] == 22
    assert body["service_level"] == float(
        evaluate("erlang_c", 15, 100, 180, 1800, 20).service_level
    )


@pytest.mark.parametrize("agents", [9, 10])
def test_an_unstable_erlang_c_answers_200_with_the_specs_values(manager, agents):
    body = answer(manager, {**CLASSIC, "agents": agents})
    assert body["service_level"] == 0
    assert body["probability_of_waiting"] == 1
    assert body["asa_seconds"] is None
    assert body["occupancy"] == 1


def test_erlang_a_adds_the_abandon_rate_and_needs_fewer_agents(manager):
    body = answer(manager, {**CLASSIC, "model": "erlang_a", "patience_seconds": 120})
    assert set(body) == KEYS | {"abandon_rate"}
    assert body["agents"] < 14
    exact = evaluate("erlang_a", body["agents"], 100, 180, 1800, 20, patience_seconds=120)
    assert body["abandon_rate"] == float(exact.abandon_rate)
    assert body["service_level"] >= 0.8
    # Fewer agents than Erlangs is a valid Erlang A question.
    fewer = answer(manager, {**CLASSIC, "model": "erlang_a", "patience_seconds": 60, "agents": 8})
    assert 0 < fewer["service_level"] < 0.8 and fewer["asa_seconds"] > 0


def test_chat_concurrency_is_an_optional_extension(manager):
    chat = {**CLASSIC, "contacts": 300, "aht_seconds": 600, "target_answer_seconds": 60}
    one = answer(manager, chat)
    three = answer(manager, {**chat, "concurrency": 3})
    assert three["agents"] == -(-one["agents"] // 3)


def test_a_supervisor_may_calculate_too(supervisor_a):
    assert answer(supervisor_a, CLASSIC)["agents"] == 14


BAD = [
    ("contacts", {"contacts": 0}),
    ("contacts", {"contacts": -5}),
    ("aht_seconds", {"aht_seconds": 0}),
    ("aht_seconds", {"aht_seconds": -1}),
    ("interval_seconds", {"interval_seconds": 0}),
    ("interval_seconds", {"interval_seconds": -900}),
    ("target_answer_seconds", {"target_answer_seconds": -1}),
    ("target_service_level", {"target_service_level": 0}),
    ("target_service_level", {"target_service_level": 1}),
    ("target_service_level", {"target_service_level": 1.2}),
    ("max_occupancy", {"max_occupancy": 0}),
    ("max_occupancy", {"max_occupancy": 1.01}),
    ("shrinkage", {"shrinkage": 1}),
    ("shrinkage", {"shrinkage": -0.1}),
    ("model", {"model": "erlang_b"}),
    ("model", {"model": None}),
    ("patience_seconds", {"model": "erlang_a"}),
    ("patience_seconds", {"model": "erlang_a", "patience_seconds": 0}),
    ("patience_seconds", {"model": "erlang_a", "patience_seconds": 86_401}),
    ("agents", {"agents": 0}),
    ("agents", {"agents": 100_001}),
    ("agents", {"agents": 14.5}),
    ("contacts", {"contacts": "lots"}),
    ("aht_seconds", {"aht_seconds": "180"}),
    ("target_service_level", {"target_service_level": True}),
    ("shrinkage", {"shrinkage": [0.3]}),
    ("agents", {"agents": "14"}),
    ("contacts", {"contacts": 10**11}),  # 10^10 Erlangs
    ("contacts", {"contacts": 100_001, "aht_seconds": 180}),  # 10,000.1 Erlangs
    ("concurrency", {"concurrency": 0}),
    ("concurrency", {"concurrency": 11}),
    ("max_occupancy", {"max_occupancy": 1e-9}),  # a cap asking for 10^10 agents
]


@pytest.mark.parametrize(("field", "change"), BAD, ids=[f"{f}-{c}" for f, c in BAD])
def test_bad_input_answers_400_naming_the_field(manager, field, change):
    response = post(manager, {**CLASSIC, **change})
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert isinstance(body[field], list) and body[field][0]


def test_missing_fields_are_named_together(manager):
    response = post(manager, {"model": "erlang_c"})
    assert response.status_code == 400
    assert set(response.json()) == {
        "contacts",
        "interval_seconds",
        "aht_seconds",
        "target_service_level",
        "target_answer_seconds",
    }


def test_ten_thousand_erlangs_still_answer(manager):
    body = answer(manager, {**CLASSIC, "contacts": 100_000, "max_occupancy": None})
    assert 10_000 < body["agents"] < 10_200


def test_a_body_that_is_not_an_object_or_not_json(manager):
    assert post(manager, [CLASSIC]).status_code == 400
    client = APIClient()
    client.force_authenticate(manager)
    response = client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_anonymous_is_refused():
    response = post(None, CLASSIC)
    assert response.status_code in {401, 403}
    assert "agents" not in response.json()


def test_a_session_needs_its_csrf_token(manager):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.post(URL, CLASSIC, format="json").status_code == 403


def test_a_cap_that_needs_too_many_agents_is_refused_with_agents_given_too(manager):
    """The cap is checked whether or not `agents` is given: no caller of these values
    solves a cap that would keep a worker busy for minutes."""
    body = {"model": "erlang_c", "contacts": 100, "interval_seconds": 1800, "aht_seconds": 180,
            "target_answer_seconds": 20, "agents": 1, "max_occupancy": 1e-7}  # fmt: skip
    response = post(manager, body)
    assert response.status_code == 400 and list(response.json()) == ["max_occupancy"]
