"""Signals about contacts' settings, for apps that derive numbers from them.

interactions never imports kpis (DESIGN.md): kpis connects to these in its AppConfig.ready,
so the arrow keeps pointing from kpis to interactions.
"""

from django.dispatch import Signal

# A queue's service-level or short-abandon threshold changed (sent inside the saving
# transaction). Arguments: queue, changed (names of the changed fields), by (the user, or
# None). kpis re-rolls the queue's past days; its receiver returns the RollupJob it queued,
# or None when the queue has no past numbers.
queue_thresholds_changed = Signal()

THRESHOLD_FIELDS = {
    "service_level_seconds": "service level",
    "short_abandon_seconds": "short-abandon",
}


def thresholds_phrase(changed) -> str:
    """'service level threshold', 'service level and short-abandon thresholds'."""
    names = [THRESHOLD_FIELDS[field] for field in THRESHOLD_FIELDS if field in changed]
    return " and ".join(names) + (" thresholds" if len(names) > 1 else " threshold")
