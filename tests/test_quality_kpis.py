"""Quality as a KPI: the evaluations' components rolled up on the evaluated contact's
interval and day, quality_score and critical_fail_rate through the registry (API,
targets, outliers, the explaining view), and the re-roll an evaluation change triggers
(quality.signals.evaluation_changed -> the minute's incremental rollup)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from interactions.models import Interaction
from kpis import definitions, rerolls, rollup, tasks
from kpis.models import AgentDay, ContactDay, ContactInterval, RollupJob, RollupState, Target
from kpis.rollup.changes import evaluation_changed_days
from kpis.selectors import SeriesRequest, agent_outliers, kpi_series, targets_status
from quality.models import Calibration, Evaluation, EvaluationStatus, Scorecard, ScorecardVersion
from quality.signals import evaluation_changed
from tests.factories import AgentFactory, InteractionFactory, QueueFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COUNTED = ("submitted", "acknowledged", "disputed", "resolved")


@pytest.fixture
def version(db):
    return ScorecardVersion.objects.create(
        scorecard=Scorecard.objects.create(name="Calls"), number=1
    )


@pytest.fixture
def evaluator(db):
    return UserFactory(username="qa-lead", role="Supervisor")


def evaluate(contact, version, evaluator, points, possible, *, status="submitted", **fields):
    """An evaluation of `contact` as quality's scoring stores it (points 0 on a critical
    fail), by its agent."""
    critical = fields.pop("critical_failed", False)
    return Evaluation.objects.create(
        contact=contact, agent=contact.agent, evaluator=evaluator, version=version,
        status=status, points=0 if critical else points, possible=possible,
        critical_failed=critical, submitted_at=None if status == "draft" else timezone.now(),
        **fields,
    )  # fmt: skip


def expected(evaluations) -> dict:
    """quality_score and critical_fail_rate computed straight from evaluation rows, in
    Python: counted statuses only, calibrations left out."""
    counted = [e for e in evaluations if e.status in COUNTED and e.calibration_id is None]
    points = sum(e.points for e in counted)
    possible = sum(e.possible for e in counted)
    return {
        "quality_score": 100 * points / possible if possible else None,
        "critical_fail_rate": (
            100 * sum(e.critical_failed for e in counted) / len(counted) if counted else None
        ),
        "qa_evaluations": len(counted),
    }


@pytest.fixture
def evaluated(team_a, team_b, version, evaluator):
    """Two teams' agents' contacts over two days, in two queues and channels, with
    evaluations of every status, a critical fail, a contact evaluated twice and a
    calibration's blind scores (which count nowhere)."""
    sales, care = QueueFactory(name="Sales"), QueueFactory(name="Care")
    ana, bob = AgentFactory(team=team_a, login="ana"), AgentFactory(team=team_a, login="bob")
    cy = AgentFactory(team=team_b, login="cy")
    contacts = {}
    for n, (agent, queue, channel, day) in enumerate(
        ((ana, sales, "voice", 0), (ana, care, "chat", 0), (ana, sales, "voice", 1),
         (bob, sales, "voice", 0), (bob, care, "email", 1), (cy, care, "voice", 0),
         (cy, sales, "chat", 1))
    ):  # fmt: skip
        at = T0 + timedelta(days=day, minutes=17 * n)
        contacts[n] = InteractionFactory(
            agent=agent, team=agent.team, queue=queue, channel=channel, arrived_at=at
        )
    calibration = Calibration.objects.create(contact=contacts[5], version=version)
    rows = [
        evaluate(contacts[0], version, evaluator, 8, 10),
        evaluate(contacts[0], version, evaluator, 6, 10, status="acknowledged"),  # twice
        evaluate(contacts[1], version, evaluator, 7.5, 9, status="disputed"),
        evaluate(contacts[2], version, evaluator, 9, 10, critical_failed=True),
        evaluate(contacts[3], version, evaluator, 4, 8, status="resolved"),
        evaluate(contacts[3], version, evaluator, 8, 8, status="draft"),  # not yet
        evaluate(contacts[4], version, evaluator, 3, 4),
        evaluate(contacts[5], version, evaluator, 10, 10),
        evaluate(contacts[5], version, evaluator, 1, 10, calibration=calibration),  # blind
        evaluate(contacts[6], version, evaluator, 2, 10, status="draft"),
    ]
    return {"agents": (ana, bob, cy), "contacts": contacts, "evaluations": rows}


def api(user, query):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/kpis/?{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_quality_components_are_the_evaluations_of_the_contacts_rolled(evaluated):
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    rows = evaluated["evaluations"]
    for table in (ContactInterval, ContactDay, AgentDay):
        sums = {name: sum(table.objects.values_list(name, flat=True))
                for name in definitions.QUALITY_COMPONENTS}  # fmt: skip
        assert sums == {"qa_points": 8 + 6 + 7.5 + 0 + 4 + 3 + 10,
                        "qa_possible": 10 + 10 + 9 + 10 + 8 + 4 + 10,
                        "qa_evaluations": 7, "qa_critical_fails": 1}, table  # fmt: skip
    # On the evaluated contact's own interval and keys: Ana's first contact, evaluated twice.
    first = evaluated["contacts"][0]
    [row] = ContactInterval.objects.filter(agent=first.agent, interval_start=T0)
    assert (row.qa_points, row.qa_possible, row.qa_evaluations, row.handled) == (14, 20, 2, 1)
    # The evaluations add no row and change no other component.
    assert ContactInterval.objects.count() == len(evaluated["contacts"])
    assert sum(ContactDay.objects.values_list("handled", flat=True)) == 7
    # Per agent and per day, against the evaluations themselves.
    for agent in evaluated["agents"]:
        for day in (DAY, DAY + timedelta(days=1)):
            mine = [e for e in rows if e.agent == agent and e.contact.arrived_at.date() == day]
            [series] = kpi_series(None, SeriesRequest(start=day, end=day, agents=(agent.login,)))
            want = expected(mine)
            assert series["kpis"]["quality_score"] == pytest.approx(want["quality_score"])
            assert series["kpis"]["critical_fail_rate"] == want["critical_fail_rate"]
            assert series["components"]["qa_evaluations"] == want["qa_evaluations"]


def test_the_beat_rolls_a_submitted_evaluation_and_the_api_shows_it(
    manager, supervisor_a, evaluated, version, evaluator
):
    """The path of quality's services: evaluations stored, evaluation_changed sent, the
    minute's task rolls; the API's quality equals the evaluations', per agent and team."""
    rolled_at = timezone.now()
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    rollup.record_fill_states(rolled_at)
    rerolls.record_settings()
    # A draft submitted, a new evaluation of Bob's, a dispute resolved: after the rollup.
    draft = next(e for e in evaluated["evaluations"] if e.contact == evaluated["contacts"][6])
    Evaluation.objects.filter(pk=draft.pk).update(status=EvaluationStatus.SUBMITTED)
    evaluate(evaluated["contacts"][3], version, evaluator, 1, 8, critical_failed=True)
    # Stamped before the fill state: only the signal can tell the rollup (an .update()
    # elsewhere, say); the services send it the same way, with objects or pks.
    Evaluation.objects.update(updated_at=rolled_at - timedelta(hours=1))
    evaluation_changed.send(
        sender=Evaluation, contacts=[evaluated["contacts"][6], evaluated["contacts"][3].pk]
    )
    assert tasks.roll_up_since_watermark() >= 2

    rows = list(Evaluation.objects.select_related("contact", "agent__team"))
    query = "start=2026-03-02&end=2026-03-03&kpis=quality_score,critical_fail_rate"
    by_agent = {r["group"]["agent"]: r for r in api(manager, f"{query}&group_by=agent")}
    for agent in evaluated["agents"]:
        want = expected([e for e in rows if e.agent == agent])
        got = by_agent[agent.login]["kpis"]
        assert got["quality_score"] == pytest.approx(want["quality_score"]), agent.login
        assert got["critical_fail_rate"] == pytest.approx(want["critical_fail_rate"])
    by_team = {r["group"]["team"]: r for r in api(manager, f"{query}&group_by=team")}
    for team in {agent.team for agent in evaluated["agents"]}:
        want = expected([e for e in rows if e.agent.team == team])
        assert by_team[team.name]["kpis"]["quality_score"] == pytest.approx(want["quality_score"])
    # Bob: 4/8 resolved and a critical fail 0/8 on the same contact; half failed.
    assert by_agent["bob"]["kpis"]["critical_fail_rate"] == pytest.approx(100 / 3)
    # A supervisor's token reads their own team's quality only.
    [mine] = api(supervisor_a, query)
    team_a_rows = [e for e in rows if e.agent.team.name == "Team A"]
    assert mine["kpis"]["quality_score"] == pytest.approx(expected(team_a_rows)["quality_score"])


def test_an_evaluation_of_last_weeks_contact_re_rolls_that_day_only(team_a, version, evaluator):
    today = timezone.localdate()
    agent = AgentFactory(team=team_a, login="ana")
    days = [today - timedelta(days=n) for n in (9, 8, 7, 6)]
    contacts = [
        InteractionFactory(agent=agent, team=team_a,
                           arrived_at=datetime.combine(day, datetime.min.time(), UTC)
                           + timedelta(hours=10))
        for day in days
    ]  # fmt: skip
    rolled_at = timezone.now()
    rollup.roll_up_days(days)
    rollup.record_fill_states(rolled_at)
    # Stored well before the rollup (not inside its look-back for late commits).
    Interaction.objects.update(updated_at=rolled_at - timedelta(hours=1))
    before = dict(ContactDay.objects.values_list("day", "pk"))

    evaluate(contacts[2], version, evaluator, 3, 4)
    assert evaluation_changed.send(sender=Evaluation, contacts=[contacts[2]])
    assert evaluation_changed_days(rolled_at, timezone.now()) == {days[2]}
    rollup.roll_up_changes()

    after = dict(ContactDay.objects.values_list("day", "pk"))
    assert [day for day in days if after[day] != before[day]] == [days[2]]  # re-inserted
    [row] = kpi_series(None, SeriesRequest(start=days[0], end=days[-1], agents=("ana",)))
    assert row["kpis"]["quality_score"] == 75 and row["components"]["qa_evaluations"] == 1


def test_a_deleted_evaluation_leaves_its_day_through_the_signal(evaluated):
    rolled_at = timezone.now()
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    rollup.record_fill_states(rolled_at)
    contact = evaluated["contacts"][4]  # Bob's e-mail of the second day, 3 of 4
    Evaluation.objects.filter(contact=contact).delete()
    evaluation_changed.send(sender=Evaluation, contacts=[contact.pk])
    rollup.roll_up_changes()
    [row] = kpi_series(None, SeriesRequest(start=DAY, end=DAY + timedelta(days=1),
                                           agents=("bob",)))  # fmt: skip
    assert row["components"]["qa_possible"] == 8 and row["kpis"]["quality_score"] == 50


def test_a_target_on_quality_score_is_measured(manager, team_a, evaluated):
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    Target.objects.create(kpi="quality_score", scope="team", team=team_a, value=85,
                          warning_margin=5, valid_from=DAY)  # fmt: skip
    Target.objects.create(kpi="critical_fail_rate", value=10, warning_margin=5, valid_from=DAY)
    rows = {r["kpi"]: r for r in targets_status(manager, DAY, DAY + timedelta(days=1))}
    team_a_rows = [e for e in evaluated["evaluations"] if e.agent.team == team_a]
    score = expected(team_a_rows)["quality_score"]  # (8+6+7.5+0+4+3)/(10+10+9+10+8+4)
    assert rows["quality_score"]["actual"] == pytest.approx(score) == pytest.approx(2850 / 51)
    assert rows["quality_score"]["status"] == "red"
    assert rows["critical_fail_rate"]["actual"] == pytest.approx(100 / 7)
    assert rows["critical_fail_rate"]["status"] == "amber"  # lower is better: 14.3 within 5


def test_outliers_and_leaderboards_take_quality(manager, team_a, version, evaluator):
    agents = [AgentFactory(team=team_a, login=f"q{n}") for n in range(5)]
    for agent, points in zip(agents, (8, 8, 8, 8, 2), strict=True):
        contact = InteractionFactory(agent=agent, team=team_a, arrived_at=T0)
        evaluate(contact, version, evaluator, points, 10)
    rollup.roll_up_days([DAY])
    flags = {row["agent"]: row["kpis"] for row in agent_outliers(team_a, DAY, DAY, min_handled=1,
                                                                threshold=1.5)}  # fmt: skip
    assert flags["q4"]["quality_score"] == {"z": pytest.approx(-2.0), "outlier": True,
                                            "good": False}  # fmt: skip
    assert not flags["q0"]["quality_score"]["outlier"]

    client = APIClient()
    client.force_login(manager)
    page = client.get(reverse("team-detail", args=[team_a.pk]),
                      {"period": "custom", "start": DAY, "end": DAY, "kpi": "quality_score"})  # fmt: skip
    assert page.status_code == 200
    data = page.context["data"]
    assert data["leader_kpi"].key == "quality_score"
    assert {kpi.key for kpi in data["agent_kpis"]} >= {"quality_score", "critical_fail_rate"}
    by_login = {row["login"]: row["kpis"]["quality_score"] for row in data["agents"]}
    assert by_login == {"q0": 80, "q1": 80, "q2": 80, "q3": 80, "q4": 20}


def test_the_tile_opens_the_agents_evaluation_sums(client, manager, agent_a, evaluated):
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    client.force_login(manager)
    overview = client.get(reverse("overview"), {"period": "custom", "start": DAY,
                                                "end": DAY + timedelta(days=1)})  # fmt: skip
    tiles = {tile["kpi"].key: tile for tile in overview.context["data"]["tiles"]}
    want = expected(evaluated["evaluations"])
    assert tiles["quality_score"]["value"] == pytest.approx(want["quality_score"])
    href = tiles["quality_score"]["href"]
    assert href.startswith(reverse("kpi-explain", args=["quality_score"]))
    page = client.get(href)
    assert page.status_code == 200
    data = page.context["data"]
    assert [row["group"]["agent"] for row in data["rows"]] == ["ana", "bob", "cy"]
    assert data["total"]["kpis"]["quality_score"] == pytest.approx(want["quality_score"])
    assert sum(row["components"]["qa_evaluations"] for row in data["rows"]) == 7
    assert "Critical fails" in page.content.decode()
    # An agent sees the view for their own numbers only: Ana A has no contacts here.
    client.force_login(agent_a.user)
    page = client.get(href)
    assert page.status_code == 200
    assert page.context["data"]["rows"] == []
    assert page.context["data"]["total"]["kpis"]["quality_score"] is None


def test_rollups_stored_before_the_quality_components_are_re_rolled_once(
    evaluated, django_capture_on_commit_callbacks
):
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    rerolls.record_settings()
    ContactDay.objects.update(qa_points=0, qa_possible=0, qa_evaluations=0)
    RollupState.objects.update(components="an older fingerprint")
    with django_capture_on_commit_callbacks():
        job = rerolls.check_settings()
    assert job.reason == "the rollups' components or tables changed"
    assert rerolls.run_job(job.pk) == "done"
    assert sum(ContactDay.objects.values_list("qa_evaluations", flat=True)) == 7
    assert RollupJob.objects.count() == 1
