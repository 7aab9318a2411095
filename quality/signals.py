"""Signals quality sends; kpis listens (quality never imports kpis)."""

from django.dispatch import Signal

# An evaluation was submitted, acknowledged, disputed, resolved, changed or deleted, so
# the quality components of its contact's local day must be rolled up again. Sent by
# quality.services after the change; kwargs: `contacts`, the evaluated contacts
# (Interaction objects or their pks). kpis.apps connects kpis.rollup.changes.on_evaluation_changed,
# which marks those contacts' local days for the minute's incremental rollup.
evaluation_changed = Signal()
