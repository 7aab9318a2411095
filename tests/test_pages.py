"""Login, logout, the home page by role, and our own Plotly bundle."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import InteractionFactory, ShiftFactory

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_renders_in_product_look(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "css/app.css" in html and "Log in" in html


def test_wrong_password_explains(client, manager):
    response = client.post(reverse("login"), {"username": "manager", "password": "nope"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_login_lands_on_home_and_logout_ends_session(client, manager):
    response = client.post(
        reverse("login"), {"username": "manager", "password": "secret-pass-123"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("overview")  # a manager's place
    assert response.context["user"].username == "manager"
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_logout_by_get_is_refused(client, manager):
    client.force_login(manager)
    assert client.get(reverse("logout")).status_code == 405


def test_home_sends_each_role_to_its_place(client, manager, supervisor_a, agent_a):
    for user in (manager, supervisor_a):
        client.force_login(user)
        assert client.get(reverse("home")).url == reverse("overview")
    client.force_login(agent_a.user)
    response = client.get(reverse("home"))
    assert response.status_code == 200 and "Ana A" in response.content.decode()


def test_database_overview_counts_what_each_role_may_see(manager, supervisor_a, agent_a, agent_b):
    from kpis.selectors import database_overview

    for agent in (agent_a, agent_a, agent_b):
        InteractionFactory(agent=agent, team=agent.team, csat=4)
    ShiftFactory(agent=agent_a)
    overview = database_overview(manager)
    assert (overview["contacts"], overview["agents"], overview["teams"]) == (3, 2, 2)
    assert (overview["surveyed_contacts"], overview["shifts"]) == (3, 1)
    overview = database_overview(supervisor_a)
    assert (overview["contacts"], overview["agents"], overview["teams"]) == (2, 1, 1)
    overview = database_overview(agent_b.user)
    assert (overview["contacts"], overview["agents"], overview["teams"]) == (1, 1, 0)


def test_agent_home_query_count_does_not_grow_with_data(client, agent_a, django_assert_num_queries):
    InteractionFactory.create_batch(30, agent=agent_a, team=agent_a.team)
    client.force_login(agent_a.user)
    with django_assert_num_queries(11):
        client.get(reverse("home"))


def test_user_without_role_is_told_to_ask_for_one(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))
    assert "no role yet" in client.get(reverse("home")).content.decode()


def test_navigation_shows_admin_only_to_staff(client, manager, admin_user):
    client.force_login(manager)
    assert reverse("admin:index") not in client.get(reverse("overview")).content.decode()
    client.force_login(admin_user)
    assert 'href="/admin/"' in client.get(reverse("overview")).content.decode()


def test_plotly_is_served_from_our_static_files():
    path = finders.find("vendor/plotly.min.js")
    assert path and path.endswith("plotly.min.js")
    with open(path, encoding="utf-8") as bundle:
        assert "plotly" in bundle.read(2000).lower()
    listed = [name for finder in finders.get_finders() for name, _ in finder.list([])]
    assert "plotly.min.js" in listed
