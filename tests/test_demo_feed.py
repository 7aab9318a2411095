"""The demo's live traffic goes through the real ingest path and moves the wallboard."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import AgentStateEvent
from demo.feed import FEED_SOURCE, feed_tick
from interactions.models import Interaction
from kpis.live import live_numbers
from tests.factories import AgentFactory, QueueFactory

pytestmark = pytest.mark.django_db


def test_feed_brings_contacts_in_answers_and_ends_them(manager, team_a):
    now = timezone.now().replace(microsecond=0)
    QueueFactory(name="Billing", channel="voice")
    QueueFactory(name="Chat", channel="chat")
    for n in range(3):
        agent = AgentFactory(team=team_a, login=f"live{n}")
        AgentStateEvent.objects.create(
            agent=agent, state="available", at=now - timedelta(minutes=1)
        )
    rng, totals = random.Random(5), {"arrived": 0, "answered": 0, "ended": 0, "abandoned": 0}
    for step in range(40):
        for key, value in feed_tick(now + timedelta(seconds=15 * step), rng).items():
            totals[key] += value
    assert totals["arrived"] > 10 and totals["answered"] > 0 and totals["ended"] > 0
    live = Interaction.objects.filter(source=FEED_SOURCE)
    assert live.count() == totals["arrived"]
    assert live.filter(ended_at__isnull=False).count() == totals["ended"] + totals["abandoned"]
    later = now + timedelta(minutes=10)
    waiting = sum(row["waiting"] for row in live_numbers(manager, now=later)["queues"])
    assert waiting == live.filter(answered_at__isnull=True, ended_at__isnull=True).count()
