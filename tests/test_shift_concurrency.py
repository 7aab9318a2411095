"""Writes to one shift serialise: an edit, a move and a delete of the same shift at the
same moment end with the shift deleted (or edited, then deleted), never with a deleted
shift brought back or a deadlock; an edit of a shift deleted meanwhile says so."""

from datetime import UTC, date, datetime, time

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from scheduling import services
from scheduling.models import Shift, ShiftActivity
from scheduling.services import Span

MONDAY = date(2026, 3, 2)
GONE = "This shift no longer exists."
EDIT = {"agent": None, "day": "2026-03-02", "start": "09:00", "end": "17:00",
        "activities": "lunch 13:00-13:30", "note": "edited"}  # fmt: skip
MOVE = {"day": "2026-03-05", "start": "07:00"}


def at(clock, day=MONDAY):
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def said(response) -> str:
    """The newest message the response leaves for the next page."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def new_shift(agent):
    return services.shift_create(agent=agent, start=at("08:00"), end=at("16:00"),
                                 spans=[Span("lunch", at("12:00"), at("12:30"))])  # fmt: skip


def test_editing_moving_or_deleting_a_deleted_shift_says_it_no_longer_exists(
    client, supervisor_a, agent_a
):
    shift = new_shift(agent_a)
    client.force_login(supervisor_a)
    client.post(reverse("shift-edit", args=[shift.pk]), {"delete": "1"})
    assert not Shift.objects.filter(pk=shift.pk).exists()
    week = reverse("team-schedule", args=[agent_a.team_id]) + f"?week={MONDAY}"
    for url, data in [
        (reverse("shift-edit", args=[shift.pk]), {**EDIT, "agent": agent_a.pk}),
        (reverse("shift-move", args=[shift.pk]), MOVE),
        (reverse("shift-edit", args=[shift.pk]), {"delete": "1"}),
    ]:
        response = client.post(url, data)
        assert (response.status_code, response.url, said(response)) == (302, week, GONE)
    assert not Shift.objects.filter(pk=shift.pk).exists()  # the edit did not bring it back
    # The page and the grid's dialog say it too.
    response = client.get(reverse("shift-edit", args=[shift.pk]))
    assert (response.status_code, said(response)) == (302, GONE)
    partial = client.get(reverse("shift-edit", args=[shift.pk]) + "?partial=1")
    assert partial.status_code == 404 and GONE in partial.content.decode()


def test_another_teams_deleted_shift_stays_a_plain_404(client, supervisor_b, agent_a):
    shift = new_shift(agent_a)
    pk = shift.pk
    services.shift_delete(shift=shift)
    client.force_login(supervisor_b)
    response = client.post(reverse("shift-edit", args=[pk]), {"delete": "1"})
    assert response.status_code == 404 and GONE not in response.content.decode()


def test_a_write_through_a_stale_copy_of_a_deleted_shift_is_refused(agent_a):
    shift = new_shift(agent_a)
    stale = Shift.objects.get(pk=shift.pk)
    services.shift_delete(shift=shift)
    with pytest.raises(services.ShiftGone, match=GONE):
        services.shift_update(shift=stale, start=at("09:00"), end=at("17:00"), spans=[])
    with pytest.raises(services.ShiftGone):
        services.shift_move(shift=stale, start=at("10:00"))
    with pytest.raises(services.ShiftGone):
        services.shift_delete(shift=stale)
    assert not Shift.objects.filter(pk=shift.pk).exists()
    assert not ShiftActivity.objects.filter(shift_id=shift.pk).exists()


def test_a_move_starts_from_the_stored_times_not_a_stale_copy(agent_a):
    shift = new_shift(agent_a)
    stale = Shift.objects.get(pk=shift.pk)
    services.shift_update(shift=shift, start=at("09:00"), end=at("17:00"),
                          spans=[Span("lunch", at("13:00"), at("13:30"))])  # fmt: skip
    moved = services.shift_move(shift=stale, start=at("10:00"))
    assert (moved.start, moved.end) == (at("10:00"), at("18:00"))
    lunch = moved.activities.get(kind="lunch")
    assert (lunch.start, lunch.end) == (at("14:00"), at("14:30"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["edit", "move"])
def test_an_edit_or_move_racing_a_delete_never_brings_the_shift_back(
    second, manager, supervisor_a, agent_a
):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race is a PostgreSQL question")
    writer, deleter = Client(), Client()
    writer.force_login(supervisor_a)
    deleter.force_login(manager)
    for _round in range(6):
        shift = new_shift(agent_a)
        url = reverse("shift-edit", args=[shift.pk])
        if second == "edit":
            write = (url, {**EDIT, "agent": agent_a.pk})
        else:
            write = (reverse("shift-move", args=[shift.pk]), MOVE)
        barrier, answers, failures = threading.Barrier(2), {}, []

        def post(name, client, url, data, barrier=barrier, answers=answers, failures=failures):
            try:
                barrier.wait()
                response = client.post(url, data)
                answers[name] = (response.status_code, said(response))
            except Exception as error:  # noqa: BLE001 (reported below)
                failures.append(error)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=post, args=("write", writer, *write)),
            threading.Thread(target=post, args=("delete", deleter, url, {"delete": "1"})),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert answers["delete"] == (302, f"Shift of {agent_a} deleted.")
        # Whichever came first, the shift is gone: deleted before the write (which says
        # so) or written, then deleted.
        status, message = answers["write"]
        done = f"Shift of {agent_a} saved." if second == "edit" else f"Shift of {agent_a} moved to"
        assert status == 302 and (message == GONE or message.startswith(done))
        assert not Shift.objects.filter(pk=shift.pk).exists()
        assert not ShiftActivity.objects.filter(shift_id=shift.pk).exists()
