"""In Chromium: a supervisor calibrates a contact with a colleague (each scores it blind,
then both see the comparison) and records a coaching session for their agent, which the
agent then reads. Pictures: /tmp/quality-calibration.png, /tmp/quality-coaching.png."""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from quality.models import CoachingSession, Evaluation
from tests.factories import AgentFactory, InteractionFactory, TeamFactory, UserFactory
from tests.test_quality_evaluations import make_form

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def center():
    team = TeamFactory(name="Care North")
    sam = UserFactory(username="sam", role="Supervisor", first_name="Sam")
    team.supervisors.add(sam)
    UserFactory(username="rosa", role="Supervisor", first_name="Rosa")
    user = UserFactory(username="ana", role="Agent")
    agent = AgentFactory(login="ana", display_name="Ana Lima", team=team, user=user)
    contact = InteractionFactory(
        agent=agent, team=team, external_id="call-42",
        transcript="Agent: Good morning, Ana speaking.\nCustomer: My bill is wrong.",
    )  # fmt: skip
    make_form()
    return contact


def log_in(page, url, username):
    page.goto(f"{url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Log in").click()


def score(page, answers):
    questions = page.locator("fieldset.qa-question")
    for n, answer in enumerate(answers):
        questions.nth(n).get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Submit my scoring").click()


def test_calibrate_with_a_colleague_then_coach_the_agent(live_server, browser, center):
    sam = browser.new_page(viewport={"width": 1366, "height": 900})
    log_in(sam, live_server.url, "sam")
    sam.goto(f"{live_server.url}/quality/contacts/{center.pk}/evaluate/")
    sam.get_by_role("link", name="Calibrate this contact").click()
    sam.get_by_label("rosa").check()
    sam.get_by_role("button", name="Create calibration").click()
    expect(sam.get_by_label("Transcript")).to_contain_text("My bill is wrong.")
    score(sam, ["Yes", "4", "N/A"])
    expect(sam.locator("#evaluators")).to_contain_text("not yet")  # rosa's score is pending

    rosa = browser.new_page(viewport={"width": 1366, "height": 900})
    log_in(rosa, live_server.url, "rosa")
    rosa.goto(f"{live_server.url}/quality/calibrations/")
    rosa.locator("#calibrations").get_by_role("link").first.click()
    expect(rosa.locator("#scores")).to_have_count(0)  # blind: no comparison yet
    score(rosa, ["No", "2", "Yes"])
    expect(rosa.locator("#scores")).to_contain_text("drifts")
    expect(rosa.locator("#spread")).to_contain_text("Min")
    rosa.screenshot(path=str(SHOTS / "quality-calibration.png"), full_page=True)
    rosa.close()
    assert Evaluation.objects.filter(calibration__isnull=False).count() == 2

    sam.goto(f"{live_server.url}/coaching/")
    sam.get_by_role("button", name="Start").click()
    sam.get_by_label("What was discussed").fill("Acknowledging the customer's problem.")
    sam.get_by_label("The action agreed").fill("Restate the problem before solving it.")
    sam.get_by_label("Follow up on").fill("2030-01-15")
    sam.get_by_label("Quality score").check()
    sam.get_by_role("button", name="Record the session").click()
    expect(sam.locator("#action")).to_contain_text("Restate the problem")
    sam.screenshot(path=str(SHOTS / "quality-coaching.png"), full_page=True)
    sam.close()
    assert CoachingSession.objects.get().kpis == ["quality_score"]

    ana = browser.new_page(viewport={"width": 1366, "height": 900})
    log_in(ana, live_server.url, "ana")
    ana.goto(f"{live_server.url}/coaching/")
    ana.locator("#sessions").get_by_role("link").first.click()
    expect(ana.locator("#action")).to_contain_text("Restate the problem")
    expect(ana.get_by_role("button", name="Mark the follow-up done")).to_have_count(0)
    ana.close()
