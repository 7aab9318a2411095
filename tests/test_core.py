"""The bottom floor: the role decorator and the local-day helpers every app uses."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from core.localtime import at_local, local_days, local_midnight, local_today, monday_of
from core.roles import MANAGER, SUPERVISOR, role_required

pytestmark = pytest.mark.django_db


@role_required(MANAGER, SUPERVISOR)
def _board(request):
    return HttpResponse("ok")


@role_required(MANAGER, forbidden="Managers only.")
def _tool(request):
    return HttpResponse("ok")


def _get(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_role_required_lets_the_named_roles_in(manager, admin_user, supervisor_a):
    for user in (manager, admin_user, supervisor_a):
        assert _board(_get(user)).status_code == 200


def test_role_required_answers_404_to_other_roles(agent_a):
    for user in (agent_a.user, AnonymousUser()):
        with pytest.raises(Http404):
            _board(_get(user))


def test_role_required_with_a_message_answers_403(supervisor_a):
    with pytest.raises(PermissionDenied, match="Managers only."):
        _tool(_get(supervisor_a))


def test_role_required_refuses_an_unknown_role():
    with pytest.raises(ValueError, match="known roles"):
        role_required("Owner")


def test_a_local_day_is_two_local_midnights_across_dst(settings):
    settings.TIME_ZONE = "Europe/Paris"
    start, end = local_days(date(2026, 3, 29))  # clocks go forward: 23 hours
    # (aware datetimes of one zone subtract by the wall clock: compare in UTC)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    assert start.astimezone(UTC) == datetime(2026, 3, 28, 23, tzinfo=UTC)
    week_start, week_end = local_days(date(2026, 10, 19), 7)  # back in this week: 169 h
    assert week_end.astimezone(UTC) - week_start.astimezone(UTC) == timedelta(hours=7 * 24 + 1)
    assert local_midnight(date(2026, 3, 29)) == at_local(date(2026, 3, 29), time.min) == start


def test_today_is_the_centers_date(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    late_utc = datetime(2026, 6, 1, 20, tzinfo=UTC)  # already 2 June in Auckland
    assert local_today(late_utc) == date(2026, 6, 2)
    assert monday_of(date(2026, 6, 7)) == date(2026, 6, 1)
