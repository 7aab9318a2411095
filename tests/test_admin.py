"""Every model has an admin whose list and add pages load for an admin."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    AgentSkillFactory,
    AgentStateEventFactory,
    CostEntryFactory,
    ShiftActivityFactory,
    SurveyFactory,
    TimeOffFactory,
)

pytestmark = pytest.mark.django_db

OUR_APPS = {"agents", "interactions", "scheduling", "kpis"}


def test_every_model_of_our_apps_is_in_the_admin():
    from django.apps import apps

    # History tables are read through their model's admin (its History button).
    ours = {
        model
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS and not model.__name__.startswith("Historical")
    }
    assert ours <= set(admin.site._registry)


@pytest.fixture
def some_of_everything():
    AgentSkillFactory()
    AgentStateEventFactory()
    SurveyFactory()
    CostEntryFactory()
    ShiftActivityFactory()
    TimeOffFactory()


def test_every_changelist_and_add_page_loads(client, admin_user, some_of_everything):
    client.force_login(admin_user)
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        changelist = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert changelist.status_code == 200, info
        add = client.get(reverse("admin:{}_{}_add".format(*info)))
        assert add.status_code in (200, 403), info  # 403: models without an add view
        first = model._default_manager.first()
        if first is not None:
            change = client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            assert change.status_code == 200, info


def test_admin_search_and_filters_work(client, admin_user, some_of_everything):
    client.force_login(admin_user)
    for url in (
        reverse("admin:interactions_interaction_changelist") + "?q=c&channel__exact=voice",
        reverse("admin:agents_agent_changelist") + "?q=agent&active__exact=1",
        reverse("admin:scheduling_shift_changelist") + "?q=agent",
    ):
        assert client.get(url).status_code == 200, url


def test_managers_are_not_admins(client, manager):
    client.force_login(manager)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
