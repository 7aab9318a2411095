"""An agent's history tab says what a shift edit changed: its old and new local times."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from scheduling import services

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def at(clock, day=date(2026, 3, 2)):
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def berlin(settings):
    # Local times differ from the stored UTC ones, so the page shows local ones.
    settings.TIME_ZONE = "Europe/Berlin"


def history_page(client, supervisor, agent):
    client.force_login(supervisor)
    response = client.get(reverse("agent-history", args=[agent.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_moved_shift_says_its_old_and_new_times(client, supervisor_a, agent_a):
    shift = services.shift_create(agent=agent_a, start=at("11:30"), end=at("20:00"))
    services.shift_move(shift=shift, start=at("12:00"), by=supervisor_a)
    page = history_page(client, supervisor_a, agent_a)
    assert '<span class="muted">time</span> <del>11:30–20:00</del> → <ins>12:00–20:30</ins>' in page
    assert "Shift Mon 02 Mar 12:00–20:30" in page
    assert "<ins>11:30–20:00</ins>" in page  # created: its times, no before


def test_a_shift_moved_to_another_day_says_both_days(client, supervisor_a, agent_a):
    shift = services.shift_create(agent=agent_a, start=at("11:30"), end=at("20:00"))
    services.shift_move(shift=shift, start=at("12:00", date(2026, 3, 4)), by=supervisor_a)
    page = history_page(client, supervisor_a, agent_a)
    assert "<del>Mon 02 Mar 11:30–20:00</del> → <ins>Wed 04 Mar 12:00–20:30</ins>" in page


def test_a_resized_shift_with_a_new_note_says_both(client, supervisor_a, agent_a):
    shift = services.shift_create(agent=agent_a, start=at("08:00"), end=at("16:00"))
    services.shift_update(shift=shift, start=at("08:00"), end=at("17:00"), spans=[],
                          note="cover", by=supervisor_a)  # fmt: skip
    page = history_page(client, supervisor_a, agent_a)
    assert "<del>08:00–16:00</del> → <ins>08:00–17:00</ins>" in page
    assert "<del>—</del> → <ins>cover</ins>" in page


def test_a_shift_saved_unchanged_adds_no_entry(client, supervisor_a, agent_a):
    shift = services.shift_create(agent=agent_a, start=at("08:00"), end=at("16:00"))
    services.shift_update(shift=shift, start=at("08:00"), end=at("16:00"), spans=[],
                          by=supervisor_a)  # fmt: skip
    page = history_page(client, supervisor_a, agent_a)
    assert page.count("Shift Mon 02 Mar 08:00–16:00") == 1  # created only
