"""In Chromium: the supervisor opens a contact from the contacts drill-down list, reads its
transcript, scores it and submits; the agent logs in, sees it under Quality and
acknowledges it. Pictures: /tmp/quality-evaluate.png, /tmp/quality-acknowledged.png."""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from quality.models import Evaluation, EvaluationStatus
from tests.factories import AgentFactory, InteractionFactory, TeamFactory, UserFactory
from tests.test_quality_evaluations import make_form

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def center():
    team = TeamFactory(name="Care North")
    supervisor = UserFactory(username="sam", role="Supervisor", first_name="Sam")
    team.supervisors.add(supervisor)
    user = UserFactory(username="ana", role="Agent")
    agent = AgentFactory(login="ana", display_name="Ana Lima", team=team, user=user)
    contact = InteractionFactory(
        agent=agent, team=team, external_id="call-42", customer="c-7",
        transcript="Agent: Good morning, Ana speaking.\nCustomer: My bill is wrong.",
    )  # fmt: skip
    make_form()
    return contact


def log_in(page, url, username):
    page.goto(f"{url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Log in").click()


def test_supervisor_scores_and_agent_acknowledges(live_server, browser, center):
    supervisor = browser.new_page(viewport={"width": 1366, "height": 900})
    log_in(supervisor, live_server.url, "sam")
    supervisor.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    row = supervisor.locator("#contacts tbody tr", has_text="call-42")
    row.get_by_role("link", name="Evaluate").click()
    expect(supervisor.get_by_role("heading", level=1)).to_contain_text("Evaluate Ana Lima")
    expect(supervisor.get_by_label("Transcript")).to_contain_text("My bill is wrong.")

    questions = supervisor.locator("fieldset.qa-question")
    questions.nth(0).get_by_label("Yes").check()
    questions.nth(1).get_by_label("4").check()
    questions.nth(2).get_by_label("N/A").check()
    questions.nth(1).get_by_placeholder("Comment (optional)").fill("Calm, could acknowledge more.")
    supervisor.get_by_label("Overall comment").fill("Good call, clear next steps.")
    supervisor.screenshot(path=str(SHOTS / "quality-evaluate.png"), full_page=True)
    supervisor.get_by_role("button", name="Submit evaluation").click()
    expect(supervisor.locator("#score")).to_contain_text("91.7")
    supervisor.close()

    evaluation = Evaluation.objects.get()
    assert evaluation.status == EvaluationStatus.SUBMITTED

    agent = browser.new_page(viewport={"width": 1366, "height": 900})
    log_in(agent, live_server.url, "ana")
    agent.get_by_role("navigation", name="Main").get_by_role("link", name="Quality").click()
    expect(agent.get_by_role("heading", level=1)).to_have_text("My evaluations")
    agent.locator("#evaluations").get_by_role("link", name="voice call-42").click()
    expect(agent.locator("#overall-comment")).to_contain_text("Good call, clear next steps.")
    expect(agent.locator("#answers")).to_contain_text("Calm, could acknowledge more.")
    agent.get_by_role("button", name="Acknowledge").click()
    expect(agent.locator("#history")).to_contain_text("Acknowledged by ana")
    agent.screenshot(path=str(SHOTS / "quality-acknowledged.png"), full_page=True)
    agent.close()

    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.ACKNOWLEDGED
