"""The Reports page (docs/reports.md, "Subscriptions"): who may subscribe whom to what,
filters checked, pause, delete, "send me a test now", and the one-click unsubscribe."""

from datetime import time

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from reports.models import ReportSubscription
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def form(recipient, kind="overview", params="", frequency="daily", **extra):
    return {"recipient": recipient.pk, "kind": kind, "params": params,
            "frequency": frequency, "send_time": "07:00", "active": "on", **extra}  # fmt: skip


def subscription(recipient, created_by=None, kind="overview", params=""):
    return ReportSubscription.objects.create(
        recipient=recipient, created_by=created_by or recipient, kind=kind, params=params,
        frequency="daily", send_time=time(7),
    )  # fmt: skip


def post(client, user, data, url=None):
    client.force_login(user)
    return client.post(url or reverse("reports:new"), data)


def test_a_manager_subscribes_any_staff_user(client, manager, supervisor_a, agent_a):
    assert post(client, manager, form(supervisor_a, params="team=Team+A")).status_code == 302
    response = post(client, manager, form(agent_a.user, kind="agent", params="agent=A-1"))
    assert response.status_code == 302
    rows = ReportSubscription.objects.order_by("pk")
    assert [(s.recipient, s.created_by, s.kind) for s in rows] == [
        (supervisor_a, manager, "overview"),
        (agent_a.user, manager, "agent"),
    ]
    assert rows[0].token != rows[1].token and len(rows[0].token) >= 40
    page = client.get(reverse("reports:list"))
    assert page.status_code == 200
    assert b"sup-a" in page.content and b"agent-a" in page.content
    for subscription in rows:  # each row links its preview, which opens
        preview = reverse("reports:preview", args=[subscription.pk])
        assert preview.encode() in page.content
        opened = client.get(preview).content.decode()
        assert 'id="preview-mail"' in opened and 'id="preview-problem"' not in opened


def test_a_report_the_recipient_may_not_read_is_refused(client, manager, agent_a):
    response = post(client, manager, form(agent_a.user))  # an agent and the overview
    assert response.status_code == 400
    assert "no longer a manager or supervisor" in response.context["form"].errors["recipient"][0]
    assert not ReportSubscription.objects.exists()


def test_a_supervisor_subscribes_their_teams_people_to_their_teams_reports(
    client, supervisor_a, agent_a, agent_b
):
    assert post(client, supervisor_a, form(supervisor_a)).status_code == 302
    assert post(client, supervisor_a, form(agent_a.user, "agent", "agent=A-1")).status_code == 302
    # Not someone of another team, nor another team's report.
    response = post(client, supervisor_a, form(agent_b.user, "agent", "agent=B-1"))
    assert response.status_code == 400 and "recipient" in response.context["form"].errors
    response = post(client, supervisor_a, form(supervisor_a, "team", "team=Team+B"))
    assert response.status_code == 400
    assert "no longer supervises" in response.context["form"].errors["recipient"][0]
    assert ReportSubscription.objects.count() == 2


def test_an_agent_subscribes_only_themselves_to_their_own_numbers(client, agent_a, agent_b):
    client.force_login(agent_a.user)
    initial = client.get(reverse("reports:new")).context["form"].initial
    assert (initial["kind"], initial["params"]) == ("agent", "agent=A-1")
    assert post(client, agent_a.user, form(agent_a.user, "agent", "agent=A-1")).status_code == 302
    for data in (
        form(agent_a.user, "agent", "agent=B-1"),
        form(agent_a.user, "overview"),
        form(agent_b.user, "agent", "agent=B-1"),
    ):
        assert post(client, agent_a.user, data).status_code == 400
    assert ReportSubscription.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"params": "period=last7"}, "params", "Unknown parameter 'period'"),
        ({"params": "compare=yearly"}, "params", "compare should be"),
        ({"kind": "team", "params": ""}, "params", "needs one team parameter"),
        ({"frequency": "weekly"}, "weekday", "weekday it goes on"),
        ({"frequency": "monthly"}, "month_day", "day of the month"),
        ({"frequency": "monthly", "month_day": "29"}, "month_day", "valid choice"),
        ({"send_time": "25:00"}, "send_time", "valid time"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, manager, data, field, message):
    response = post(client, manager, {**form(manager), **data})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not ReportSubscription.objects.exists()


def test_weekly_and_monthly_keep_their_day(client, manager):
    post(client, manager, form(manager, frequency="weekly", weekday="0", month_day="5"))
    post(client, manager, form(manager, frequency="monthly", month_day="0"))
    weekly, monthly = ReportSubscription.objects.order_by("pk")
    assert (weekly.weekday, weekly.month_day) == (0, None)
    assert (monthly.weekday, monthly.month_day) == (None, 0)
    assert monthly.schedule_label == "monthly on the last day at 07:00"


def test_others_subscriptions_are_a_404(client, supervisor_a, supervisor_b, manager):
    theirs = subscription(supervisor_b)
    client.force_login(supervisor_a)
    assert client.get(reverse("reports:edit", args=[theirs.pk])).status_code == 404
    for name in ("reports:active", "reports:delete", "reports:test"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    assert b"sup-b" not in client.get(reverse("reports:list")).content
    client.force_login(manager)  # a manager manages every subscription
    assert client.get(reverse("reports:edit", args=[theirs.pk])).status_code == 200


def test_the_page_needs_a_login_and_a_role(client):
    response = client.get(reverse("reports:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("reports:list")).status_code == 404


def test_pause_resume_and_delete(client, manager):
    row = subscription(manager)
    client.force_login(manager)
    client.post(reverse("reports:active", args=[row.pk]), {"active": "0"})
    row.refresh_from_db()
    assert not row.active
    client.post(reverse("reports:active", args=[row.pk]), {"active": "1"})
    row.refresh_from_db()
    assert row.active
    assert client.get(reverse("reports:delete", args=[row.pk])).status_code == 405
    client.post(reverse("reports:delete", args=[row.pk]))
    assert not ReportSubscription.objects.exists()


def test_edit_keeps_the_maker(client, manager, supervisor_a):
    row = subscription(supervisor_a, created_by=supervisor_a)
    response = post(
        client,
        manager,
        form(supervisor_a, params="team=Team+A"),
        reverse("reports:edit", args=[row.pk]),
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.params, row.created_by) == ("team=Team+A", supervisor_a)


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_send_me_a_test_now(client, supervisor_a, team_a):
    row = subscription(supervisor_a, kind="team", params="team=Team+A")
    client.force_login(supervisor_a)
    response = client.post(reverse("reports:test", args=[row.pk]), follow=True)
    assert b"Test sent to sup-a@example.com" in response.content
    [message] = mail.outbox
    assert message.to == ["sup-a@example.com"]
    assert row.token in message.extra_headers["List-Unsubscribe"]
    assert not row.deliveries.exists()


def test_unsubscribe_works_without_login_and_only_for_its_own_token(client, manager):
    mine = subscription(manager)
    other = subscription(manager, kind="targets")
    url = reverse("reports:unsubscribe", args=[mine.token])
    page = client.get(url)
    assert page.status_code == 200 and b"Stop sending" in page.content
    mine.refresh_from_db()
    assert mine.active  # a GET (a mail scanner following links) changes nothing
    assert client.post(url).status_code == 200
    mine.refresh_from_db()
    other.refresh_from_db()
    assert not mine.active and other.active
    wrong = reverse("reports:unsubscribe", args=[mine.token[:-1] + "x"])
    assert client.post(wrong).status_code == 404
    other.refresh_from_db()
    assert other.active


def test_the_admin_checks_the_filters_and_the_day(client, admin_user, manager):
    client.force_login(admin_user)
    url = reverse("admin:reports_reportsubscription_add")
    data = {**form(manager, params="period=last7", frequency="weekly"), "created_by": ""}
    data["deliveries-TOTAL_FORMS"], data["deliveries-INITIAL_FORMS"] = "0", "0"
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Unknown parameter 'period'" in errors["params"][0]
    assert "weekday" in errors
    data.update(params="team=Team+A", weekday="0")
    assert client.post(url, data).status_code == 302
    assert ReportSubscription.objects.get().weekday == 0
