"""Staffing's numbers from the center's own data: the abandoned contacts' waits in the
rollups, patience, shrinkage measured from the schedules, the settings in force, the
agents scheduled per interval and the requirement (staffing.selectors)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from interactions.models import Direction, Interaction
from kpis import rerolls, rollup
from kpis.models import ContactDay, RollupJob, RollupState
from kpis.rollup.statements import contact_components_between
from tests.factories import InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def contact(queue, wait, *, answered=True, ended=True, at=T0, **fields):
    """An inbound contact of `queue` that waited `wait` seconds, answered or not."""
    answered_at = at + timedelta(seconds=wait) if answered and wait is not None else None
    ended_at = None
    if ended:
        ended_at = (answered_at or at + timedelta(seconds=wait or 0)) + timedelta(
            seconds=200 if answered_at else 0
        )
    return InteractionFactory(
        queue=queue, arrived_at=at, answered_at=answered_at, ended_at=ended_at, **fields
    )


@pytest.fixture
def waits():
    """Two queues over two days: answered, abandoned (a short one too), callbacks, still
    waiting, outbound; only the abandoned inbound ones count in wait_abandoned_sum."""
    sales, care = QueueFactory(name="Sales"), QueueFactory(name="Care")
    for day, queue in ((0, sales), (1, sales), (0, care)):
        at = T0 + timedelta(days=day)
        contact(queue, 12, at=at)
        contact(queue, 40, at=at + timedelta(minutes=20))
        contact(queue, 75, answered=False, at=at)  # abandoned after 75 s
        contact(queue, 2, answered=False, at=at + timedelta(minutes=31))  # a short abandon
        contact(queue, 300, answered=False, callback_requested=True, at=at)  # callback
        contact(queue, None, answered=False, ended=False, at=at)  # still waiting
        contact(queue, 90, answered=False, direction=Direction.OUTBOUND, at=at)
    contact(care, 33.5, answered=False, at=T0 + timedelta(hours=3))
    return sales, care


def abandoned_waits_from_raw(queue) -> float:
    """The abandoned contacts' waits, read straight from the raw rows in Python."""
    return sum(
        (c.ended_at - c.arrived_at).total_seconds()
        for c in Interaction.objects.filter(queue=queue)
        if c.direction == Direction.INBOUND
        and c.answered_at is None
        and c.ended_at is not None
        and not c.callback_requested
    )


def test_wait_abandoned_sum_is_the_abandoned_contacts_waits(waits):
    sales, care = waits
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    for queue, expected in ((sales, 2 * (75 + 2)), (care, 75 + 2 + 33.5)):
        stored = sum(
            ContactDay.objects.filter(queue=queue).values_list("wait_abandoned_sum", flat=True)
        )
        assert stored == pytest.approx(abandoned_waits_from_raw(queue)) == pytest.approx(expected)
    # The live sums (the wallboard's) read it with the same rule.
    live = contact_components_between(T0 - timedelta(hours=9), T0 + timedelta(days=2), [care.pk])
    assert live["wait_abandoned_sum"] == pytest.approx(75 + 2 + 33.5)
    assert live["abandoned"] == 3


def test_rollups_stored_before_the_component_are_re_rolled_once(
    waits, django_capture_on_commit_callbacks
):
    """An upgraded database: days rolled before wait_abandoned_sum existed (its column 0,
    no components recorded) are re-rolled once by the minute's settings check."""
    sales, _ = waits
    rollup.roll_up_days([DAY, DAY + timedelta(days=1)])
    rerolls.record_settings()
    assert rerolls.check_settings() is None  # recorded as running: nothing to do
    ContactDay.objects.update(wait_abandoned_sum=0)
    RollupState.objects.update(components="")  # as the migration leaves an old database

    with django_capture_on_commit_callbacks():
        job = rerolls.check_settings()
    assert job.reason == "the rollups' components changed"
    assert rerolls.run_job(job.pk) == "done"
    stored = sum(
        ContactDay.objects.filter(queue=sales).values_list("wait_abandoned_sum", flat=True)
    )
    assert stored == pytest.approx(abandoned_waits_from_raw(sales))
    assert RollupState.objects.get().components == rerolls.components_fingerprint()
    assert rerolls.check_settings() is None and RollupJob.objects.count() == 1
