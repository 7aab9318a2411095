"""Rolling raw rows up into KPI components.

The unit of work is a local day of the contact center (TIME_ZONE): its 15-minute UTC
intervals are recomputed from the raw tables with one `INSERT ... SELECT ... GROUP BY`
per table, and its day rows from those intervals, all in one transaction after deleting
what was there. So a rollup can run twice, concurrently (a lock serialises them) or after
a crash, and the numbers come out the same; a group that no longer exists (a contact
moved to another queue) disappears instead of lingering.

- dialect: the SQL that differs between PostgreSQL and SQLite;
- statements: the contact and day statements, built from the registry (components from
  kpis.definitions, contact aggregates from interactions.outcomes, quality ones from the
  contacts' evaluations), and the live read composed from the same aggregates;
- states: the agent-state and schedule statement (state components from STATE_COLUMNS);
- changes: which days changed, per source, since each source's fill state (and, for
  agent states and schedules, which agents on them);
- run: roll_up_days (whole days) and roll_up_changes (the minute's beat task).
"""

from kpis.rollup.changes import (
    AGENT_STATES,
    CONTACTS,
    EVALUATIONS,
    SCHEDULES,
    SOURCES,
    Source,
    changed_days,
)
from kpis.rollup.run import record_fill_states, roll_up_changes, roll_up_days
from kpis.rollup.statements import contact_components_between, contact_interval_rows
from kpis.rollup.states import ADHERENT_STATES, STATE_COLUMNS, state_cap

__all__ = [
    "ADHERENT_STATES",
    "AGENT_STATES",
    "CONTACTS",
    "EVALUATIONS",
    "SCHEDULES",
    "SOURCES",
    "STATE_COLUMNS",
    "Source",
    "changed_days",
    "contact_components_between",
    "contact_interval_rows",
    "record_fill_states",
    "roll_up_changes",
    "roll_up_days",
    "state_cap",
]
