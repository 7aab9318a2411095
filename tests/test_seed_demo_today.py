"""seed_demo up to the present moment: today is cut at now, not at midnight."""

from datetime import UTC, datetime

from agents.models import AgentStateEvent
from demo import generator as demo
from interactions.models import Interaction
from scheduling.models import Shift


def test_today_stops_at_now_with_contacts_still_open(db):
    """Seeded up to now, the last minutes hold contacts that are waiting or talking."""
    now = datetime(2026, 3, 11, 10, 30, tzinfo=UTC)
    demo.seed_demo(days=2, agent_count=12, seed=1, end=now.date(), now=now)
    assert not Interaction.objects.filter(arrived_at__gte=now).exists()
    assert not AgentStateEvent.objects.filter(at__gte=now).exists()
    assert Interaction.objects.filter(ended_at__isnull=True).exists()
    assert Shift.objects.filter(start__gte=now).exists()  # next week's schedule is laid out
