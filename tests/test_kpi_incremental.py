"""Incremental rollups equal a full rebuild, whatever happens in between (hypothesis)."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.models import Agent
from interactions import services as ingest
from kpis import rollup
from kpis.rollup import rebuild
from scheduling import services as schedules
from scheduling.models import Shift
from scheduling.services import Span
from tests.factories import AgentFactory, TeamFactory
from tests.rollups import snapshot

START = datetime(2026, 3, 2, tzinfo=UTC)
TABLES = rebuild.TABLES
# Days a rebuild rolls: every change below lands in them.
DAYS = [START.date() + timedelta(days=n) for n in range(-1, 5)]

contacts = st.fixed_dictionaries(
    {
        "id": st.integers(0, 30),
        "minute": st.integers(0, 3 * 24 * 60 - 1),
        "wait": st.integers(0, 120),
        "answered": st.booleans(),
        "ended": st.booleans(),
        "customer": st.sampled_from(["", "c1", "c2", "c3"]),
        "resolved": st.sampled_from([None, True, False]),
        "csat": st.sampled_from([None, 1, 4, 5]),
        "agent": st.sampled_from(["", "a1", "a2"]),
        "channel": st.sampled_from(["voice", "chat"]),
    }
)
events = st.fixed_dictionaries(
    {
        "agent": st.sampled_from(["a1", "a2"]),
        "minute": st.integers(0, 3 * 24 * 60 - 1),
        "state": st.sampled_from(["available", "on_contact", "break", "offline"]),
    }
)
# Schedule changes through the services (history rows, as users make them): a new shift
# with a break, one moved to another day or hour, given to the other agent, or deleted.
shift_changes = st.fixed_dictionaries(
    {
        "change": st.sampled_from(["create", "move", "move", "reassign", "delete"]),
        "agent": st.sampled_from(["a1", "a2"]),
        "minute": st.integers(0, 3 * 24 * 60 - 1),
        "hours": st.integers(1, 10),
        "which": st.integers(0, 9),
    }
)
rounds = st.lists(
    st.tuples(
        st.lists(contacts, max_size=8),
        st.lists(events, max_size=4),
        st.lists(shift_changes, max_size=2),
    ),
    min_size=1,
    max_size=4,
)


def record(c):
    # The arrival of a key never moves between days: that is left to the nightly re-roll.
    arrived = START + timedelta(days=c["id"] % 3, minutes=c["minute"] % (24 * 60))
    answered = arrived + timedelta(seconds=c["wait"]) if c["answered"] else None
    ended = (answered or arrived) + timedelta(seconds=90) if c["ended"] else None
    return {
        "external_id": f"k{c['id']}", "channel": c["channel"], "queue": "Q",
        "arrived_at": arrived.isoformat(), "answered_at": answered and answered.isoformat(),
        "ended_at": ended and ended.isoformat(), "customer": c["customer"],
        "resolved": c["resolved"], "csat": c["csat"], "agent": c["agent"], "talk_seconds": 60,
    }  # fmt: skip


def change_schedule(change):
    agent = Agent.objects.get(login=change["agent"])
    shifts = list(Shift.objects.filter(agent__login__in=["a1", "a2"]).order_by("pk"))
    start = START + timedelta(minutes=change["minute"])
    try:
        if change["change"] == "create" or not shifts:
            end = start + timedelta(hours=change["hours"])
            breaks = [Span("break", start + timedelta(minutes=50), start + timedelta(minutes=65))]
            schedules.shift_create(agent=agent, start=start, end=end,
                                   spans=breaks if change["hours"] > 1 else [])  # fmt: skip
            return
        shift = shifts[change["which"] % len(shifts)]
        if change["change"] == "move":
            schedules.shift_move(shift=shift, start=start)
        elif change["change"] == "reassign":
            # As the admin can: the shift (and its activities) now another agent's.
            shift.agent = agent
            shift.save()
        else:
            schedules.shift_delete(shift=shift)
    except ValidationError:
        pass  # an overlap or the like: the schedule stays as it was


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(rounds=rounds)
def test_incremental_rollups_equal_a_full_rebuild(rounds):
    # Each example runs in its own savepoint, rolled back at the end. The center's clock
    # (the rollup's present, every stamp) moves five minutes a round, after the data's
    # days: each run sees its own round's changes only, not the last 60 seconds' again.
    clock = [START + timedelta(days=5)]
    with transaction.atomic(), mock.patch.object(timezone, "now", lambda: clock[0]):
        _incremental_equals_rebuild(rounds, clock)
        transaction.set_rollback(True)


def _incremental_equals_rebuild(rounds, clock):
    team = TeamFactory(name="T")
    for login in ("a1", "a2", "a3"):
        AgentFactory(login=login, team=team)
    for login, hour in (("a1", 8), ("a2", 30), ("a3", 8)):
        schedules.shift_create(agent=Agent.objects.get(login=login), start=START + timedelta(hours=hour),
                               end=START + timedelta(hours=hour + 8))  # fmt: skip
    # a3 changes nothing after the first run: the other agents' re-rolls keep its rows.
    ingest.ingest_agent_events(
        [{"agent": "a3", "state": state, "at": (START + timedelta(hours=hour)).isoformat()}
         for hour, state in ((8, "available"), (12, "break"), (13, "available"), (17, "offline"))]
    )  # fmt: skip
    for new_contacts, new_events, changes in rounds:
        clock[0] += timedelta(minutes=5)
        ingest.ingest_contacts([record(c) for c in new_contacts], default_source="p")
        ingest.ingest_agent_events(
            [{"agent": e["agent"], "state": e["state"],
              "at": (START + timedelta(minutes=e["minute"])).isoformat()} for e in new_events]
        )  # fmt: skip
        for change in changes:
            change_schedule(change)
        clock[0] += timedelta(minutes=5)
        rollup.roll_up_changes()
    incremental = snapshot()
    for model in TABLES:
        model.objects.all().delete()
    rollup.roll_up_days(DAYS)
    assert snapshot() == incremental


@pytest.mark.django_db(transaction=True)
def test_concurrent_rollups_of_the_same_days_keep_one_set_of_rows():
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race is a PostgreSQL question")
    team = TeamFactory(name="T")
    AgentFactory(login="a1", team=team)
    ingest.ingest_contacts(
        [record({"id": n, "minute": n * 50, "wait": 5, "answered": True, "ended": True,
                 "customer": "c1", "resolved": True, "csat": 4, "agent": "a1", "channel": "voice"})
         for n in range(30)],
        default_source="p",
    )  # fmt: skip
    days = [START.date() + timedelta(days=n) for n in range(3)]
    rollup.roll_up_days(days)
    expected = snapshot()
    barrier, failures = threading.Barrier(3), []

    def roll(work):
        try:
            barrier.wait()
            work()
        except Exception as error:  # noqa: BLE001 (reported below)
            failures.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=roll, args=(lambda: rollup.roll_up_days(days),)),
        threading.Thread(target=roll, args=(lambda: rollup.roll_up_days(days),)),
        threading.Thread(target=roll, args=(rollup.roll_up_changes,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert snapshot() == expected
