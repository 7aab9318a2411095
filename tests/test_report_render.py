"""reports.render: the mail's numbers are the KPI API's for the same scope and period,
scoped to its reader, with a plain-text twin and the charts as related inline images."""

import email
import re
from datetime import UTC, date, datetime, time, timedelta
from email import policy
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from core.localtime import local_midnight, local_today
from kpis import definitions
from kpis.models import Target
from kpis.templatetags.kpi_format import kpi_value
from reports.models import ReportSubscription
from reports.render import ReportUnavailable, render_report, send
from tests.conftest import CHROMIUM
from tests.factories import AgentFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://cc.example.com"


@pytest.fixture
def rolled(team_a, team_b):
    """Two teams on one queue, with different handle times and waits: Team A three
    contacts (one abandoned), Team B two, on 2 March; and one Team A contact the week
    before, for the change."""
    billing = QueueFactory(name="Billing")
    a, b = AgentFactory(team=team_a, login="n1"), AgentFactory(team=team_b, login="s1")
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for minutes, wait, talk in ((0, 5, 200), (20, 40, 400)):
        InteractionFactory(queue=billing, agent=a, team=team_a, arrived_at=at + timedelta(minutes=minutes),
                           answered_at=at + timedelta(minutes=minutes, seconds=wait), talk_seconds=talk)  # fmt: skip
    InteractionFactory(queue=billing, agent=None, team=None, arrived_at=at, answered_at=None,
                       ended_at=at + timedelta(seconds=90), talk_seconds=0, hold_seconds=0,
                       wrap_seconds=0)  # fmt: skip
    for minutes in (5, 50):
        InteractionFactory(queue=billing, agent=b, team=team_b, arrived_at=at + timedelta(minutes=minutes),
                           talk_seconds=600)  # fmt: skip
    InteractionFactory(queue=billing, agent=a, team=team_a, arrived_at=at - timedelta(days=1))
    call_command("rollup_kpis", "--start", "2026-02-28", "--end", "2026-03-03")


def api_kpis(user, query=""):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/kpis/?start={DAY}&end={DAY}&{query}")
    assert response.status_code == 200
    [row] = response.json()["results"]
    return row["kpis"]


def line(rendered, label):
    """The value a text part gives a KPI: 'Label: value, ...'."""
    match = re.search(rf"^{re.escape(label)}: ([^,\n]+)", rendered.text, re.MULTILINE)
    return match and match.group(1)


def test_the_center_overview_has_the_apis_numbers(manager, rolled):
    rendered = render_report("overview", "", manager, DAY, DAY)
    numbers = api_kpis(manager)
    assert numbers["answered"] == 4 and numbers["offered"] == 5
    for key in ("offered", "answered", "service_level", "abandonment_rate", "aht", "fcr"):
        kpi = definitions.BY_KEY[key]
        shown = kpi_value(numbers[key], kpi)
        assert line(rendered, kpi.label) == shown, key
        assert f">{shown}</div>" in rendered.html, key
    # Waits per kind of channel, as the page shows them: all voice here.
    asa = definitions.BY_KEY["asa"]
    voice = api_kpis(manager, "channel=voice&channel=chat")["asa"]
    assert line(rendered, f"{asa.label} · voice & chat") == kpi_value(voice, asa)
    assert rendered.subject == "Center overview · Mon 2 Mar 2026"
    assert rendered.url == (
        "https://cc.example.com/dashboard/?period=custom&start=2026-03-02&end=2026-03-02"
        "&compare=previous"
    )
    assert f'href="{rendered.url.replace("&", "&amp;")}"' in rendered.html
    assert "Team A |" in rendered.text and "Team B |" in rendered.text


def test_the_team_report_has_the_apis_numbers_for_the_team(manager, rolled):
    rendered = render_report("team", "team=Team A", manager, DAY, DAY)
    numbers = api_kpis(manager, "team=Team A")
    for key in ("answered", "aht", "fcr"):
        kpi = definitions.BY_KEY[key]
        assert line(rendered, kpi.label) == kpi_value(numbers[key], kpi), key
    assert numbers["answered"] == 2
    # Against the center, and its agents
    assert re.search(r"^Handled \| 2 \| 4$", rendered.text, re.MULTILINE)
    assert re.search(r"^n1 \| 2 \|", rendered.text, re.MULTILINE)
    assert "s1 |" not in rendered.text
    assert rendered.subject.startswith("Team Team A · ")
    assert "/teams/" in rendered.url and "team=Team+A" in rendered.url


def test_a_supervisors_report_holds_only_their_teams(supervisor_a, rolled):
    rendered = render_report("overview", "", supervisor_a, DAY, DAY)
    numbers = api_kpis(supervisor_a)
    assert numbers["answered"] == 2
    aht = definitions.BY_KEY["aht"]
    assert line(rendered, "Answered") == "2"
    assert line(rendered, aht.label) == kpi_value(numbers["aht"], aht)
    assert rendered.subject.startswith("Overview · Team A · ")
    assert "Team A |" in rendered.text and "Team B" not in rendered.text + rendered.html
    # Another team's report is not theirs to get
    with pytest.raises(ReportUnavailable):
        render_report("team", "team=Team B", supervisor_a, DAY, DAY)
    with pytest.raises(ReportUnavailable):
        render_report("agent", "agent=s1", supervisor_a, DAY, DAY)


def test_an_agent_gets_their_own_numbers_only(agent_a, rolled):
    InteractionFactory(agent=agent_a, team=agent_a.team, arrived_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
                       talk_seconds=100)  # fmt: skip
    call_command("rollup_kpis", "--start", "2026-03-02", "--end", "2026-03-02")
    rendered = render_report("agent", f"agent={agent_a.login}", agent_a.user, DAY, DAY)
    handled = api_kpis(agent_a.user)["handled"]
    assert handled == 1 and line(rendered, "Handled") == "1"
    with pytest.raises(ReportUnavailable):
        render_report("agent", "agent=n1", agent_a.user, DAY, DAY)
    with pytest.raises(ReportUnavailable):
        render_report("overview", "", agent_a.user, DAY, DAY)


@pytest.mark.parametrize(
    ("kind", "params", "title", "row"),
    [("targets", "", "Targets", "Nothing in this period."),
     # Team A's agent n1 handled two contacts that day (no shifts: no adherence).
     ("adherence", "team=Team A", "Adherence · Team A", "n1 | – | – | 2"),
     ("forecast_accuracy", "", "Forecast accuracy", "Nothing in this period.")],
)  # fmt: skip
def test_the_other_kinds_render(manager, rolled, kind, params, title, row):
    rendered = render_report(kind, params, manager, DAY, DAY)
    assert row in rendered.text.splitlines()
    assert rendered.subject == f"{title} · Mon 2 Mar 2026"
    assert (
        rendered.text.startswith(title)
        and "Open the live page: https://cc.example.com/" in rendered.text
    )


def test_the_targets_report_lists_each_target_with_the_apis_actual(manager, rolled):
    Target.objects.create(kpi="aht", value=300, warning_margin=0, scope="center", valid_from=DAY)
    rendered = render_report("targets", "", manager, DAY, DAY)
    kpi = definitions.BY_KEY["aht"]
    [row] = [text for text in rendered.text.splitlines() if text.startswith(f"{kpi.label} |")]
    cells = row.split(" | ")
    assert cells[2:4] == [kpi_value(300, kpi), kpi_value(api_kpis(manager)["aht"], kpi)]


def test_send_builds_text_and_html_with_related_inline_images(manager, rolled, settings):
    settings.CHROMIUM_PATH = CHROMIUM
    rendered = render_report("overview", "", manager, DAY, DAY)
    send(rendered, "boss@example.com", "https://cc.example.com/reports/unsubscribe/t0k3n/")
    [sent] = mail.outbox
    assert sent.to == ["boss@example.com"] and sent.subject == rendered.subject
    assert (
        sent.extra_headers["List-Unsubscribe"]
        == "<https://cc.example.com/reports/unsubscribe/t0k3n/>"
    )
    parsed = email.message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.get_payload()
    assert text.get_content_type() == "text/plain"
    assert "Answered: 4" in text.get_content()
    assert "t0k3n" in text.get_content()
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: the mail goes without images")
    assert html.get_content_type() == "multipart/related"
    body, *images = html.get_payload()
    assert body.get_content_type() == "text/html"
    assert "t0k3n" in body.get_content()
    cids = [image["Content-ID"].strip("<>") for image in images]
    assert cids == [cid for cid, _png in rendered.images] and len(cids) == 4
    for image in images:
        assert image.get_content_type() == "image/png"
        assert image.get_content_disposition() == "inline"
        assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(re.findall(r'src="cid:([^"]+)"', body.get_content())) == sorted(cids)


def test_without_a_chromium_the_mail_says_the_charts_are_left_out(
    manager, rolled, settings, tmp_path
):
    settings.CHROMIUM_PATH = str(tmp_path / "none")
    rendered = render_report("overview", "", manager, DAY, DAY)
    assert rendered.images == []
    assert "chart left out" in rendered.html and "(left out: no Chromium" in rendered.text
    send(rendered, "boss@example.com", "https://cc.example.com/u/")
    [sent] = mail.outbox
    parsed = email.message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    assert [part.get_content_type() for part in parsed.get_payload()] == ["text/plain", "text/html"]


# -- the browser preview of a subscription's next mail ----------------------------------


def subscription(recipient, kind="overview", params="", created_by=None):
    return ReportSubscription.objects.create(
        recipient=recipient, created_by=created_by or recipient, kind=kind, params=params,
        frequency="daily", send_time=time(7),
    )  # fmt: skip


def preview(client, user, pk):
    if user is not None:
        client.force_login(user)
    return client.get(reverse("reports:preview", args=[pk]))


def test_the_preview_shows_the_next_mail_with_its_images_inline(client, manager, settings):
    settings.CHROMIUM_PATH = CHROMIUM
    yesterday = local_today() - timedelta(days=1)
    InteractionFactory(arrived_at=local_midnight(yesterday) + timedelta(hours=10))
    call_command("rollup_kpis", "--start", str(yesterday), "--end", str(yesterday))
    mine = subscription(manager)
    response = preview(client, manager, mine.pk)
    assert response.status_code == 200
    rendered = response.context["rendered"]
    assert rendered.subject == f"Center overview · {yesterday:%a %-d %b %Y}"
    assert "Answered: 1" in rendered.text
    page = response.content.decode()
    assert 'id="preview-mail"' in page and "Send me a test now" in page
    assert reverse("reports:test", args=[mine.pk]) in page
    if Path(CHROMIUM).exists():
        assert page.count("data:image/png;base64,") == 4
        assert "cid:" not in response.context["html"]


def test_only_a_manager_its_recipient_or_its_maker_may_preview(
    client, manager, supervisor_a, supervisor_b, agent_a, settings, tmp_path
):
    settings.CHROMIUM_PATH = str(tmp_path / "none")  # no charts needed here
    theirs = subscription(agent_a.user, "agent", f"agent={agent_a.login}", created_by=supervisor_a)
    for user in (manager, supervisor_a, agent_a.user):
        assert preview(client, user, theirs.pk).status_code == 200, user
    assert preview(client, supervisor_b, theirs.pk).status_code == 404
    assert preview(client, manager, 999999).status_code == 404
    client.logout()
    assert preview(client, None, theirs.pk).status_code == 302


def test_a_report_its_recipient_may_no_longer_see_says_so(client, supervisor_a, team_b):
    lost = subscription(supervisor_a, "team", "team=Team B")
    response = preview(client, supervisor_a, lost.pk)
    assert response.status_code == 200
    assert "It would not be sent: the recipient no longer supervises" in response.content.decode()
    assert "rendered" not in response.context
