"""The agent-state and schedule statement: seconds per (15-minute interval, agent).

Kept apart from the contact statements (kpis.rollup.statements): the states are the
largest part of a rollup's work and are tuned on their own.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection

from agents.models import AgentStateEvent
from kpis.definitions import STATE_COMPONENTS
from kpis.models import StateInterval
from kpis.rollup.dialect import Dialect, table
from scheduling.models import Shift, ShiftActivity


def state_cap() -> timedelta:
    """A state lasts until the agent's next event, but never longer than this."""
    return timedelta(hours=getattr(settings, "KPI_STATE_CAP_HOURS", 12))


# Scheduled activity -> the agent states that adhere to it (spec/kpis.md).
ADHERENT_STATES = {
    "work": ("available", "on_contact", "after_contact_work"),
    "break": ("break", "lunch"),
    "lunch": ("break", "lunch"),
    "meeting": ("meeting", "training"),
    "training": ("meeting", "training"),
}
# State -> the component its seconds go to, besides staffed (every state but offline).
STATE_COLUMNS = {
    "available_seconds": ("available",),
    "on_contact_seconds": ("on_contact",),
    "acw_seconds": ("after_contact_work",),
    "break_seconds": ("break", "lunch"),
    "other_seconds": ("meeting", "training", "other"),
}


def state_interval_statement(d: Dialect) -> str:
    """Agent-state and schedule seconds per (15-minute interval, agent) of one day.

    A state lasts until the agent's next event, at most `state_cap()`; states and
    scheduled activities are clipped to the day and cut at interval boundaries by joining
    them with the day's intervals (epoch seconds throughout, so it runs on both
    databases). Adherent time is the overlap of an activity with a matching state.
    """
    at = d.epoch("e.at")
    ends = d.least(
        f"COALESCE(LEAD({at}) OVER (PARTITION BY e.agent_id ORDER BY e.at), {at} + %(cap)s)",
        f"{at} + %(cap)s",
    )
    match = " OR ".join(
        f"(act.kind = '{kind}' AND st.state IN ({', '.join(repr(s) for s in states)}))"
        for kind, states in ADHERENT_STATES.items()
    )
    state_sums = ", ".join(
        f"SUM(CASE WHEN state IN ({', '.join(repr(s) for s in states)}) THEN secs ELSE 0 END) AS {name}"
        for name, states in STATE_COLUMNS.items()
    )
    names = ("staffed_seconds", *STATE_COLUMNS, "scheduled_seconds", "adherent_seconds")
    assert set(names) == set(STATE_COMPONENTS)
    activity_end = "a." + connection.ops.quote_name("end")  # END is an SQL keyword
    over_end, over_start = d.least("act.e", "st.e"), d.greatest("act.s", "st.s")
    bucket_list = (
        "" if d.postgres else
        "WITH RECURSIVE buckets(b) AS (SELECT %(first)s UNION ALL "
        "SELECT b + 900 FROM buckets WHERE b + 900 < %(last)s), "
    )  # fmt: skip
    return (
        f"{bucket_list}{'WITH ' if d.postgres else ''}"
        f"ev AS (SELECT e.agent_id, e.team_id, e.state, {at} AS s, {ends} AS e "
        f"FROM {table(AgentStateEvent)} e WHERE e.at >= %(since)s AND e.at < %(end)s), "
        f"st AS (SELECT agent_id, team_id, state, {d.greatest('s', '%(first)s')} AS s, "
        f"{d.least('e', '%(last)s')} AS e FROM ev WHERE e > %(first)s AND s < %(last)s AND e > s), "
        f"act AS (SELECT sh.agent_id, sh.team_id, a.kind, {d.greatest(d.epoch('a.start'), '%(first)s')} AS s, "
        f"{d.least(d.epoch(activity_end), '%(last)s')} AS e "
        f"FROM {table(ShiftActivity)} a JOIN {table(Shift)} sh ON sh.id = a.shift_id "
        f"WHERE {activity_end} > %(start)s AND a.start < %(end)s), "
        f"parts AS ("
        f"SELECT st.agent_id, st.team_id, b, st.state, {d.least('st.e', 'b + 900')} - {d.greatest('st.s', 'b')} AS secs, "
        f"0 AS scheduled, 0 AS adherent FROM st, {d.buckets_of('st.s', 'st.e')} "
        f"WHERE {d.bucket_condition('st.s', 'st.e')} "
        f"UNION ALL SELECT act.agent_id, act.team_id, b, NULL, 0, "
        f"{d.least('act.e', 'b + 900')} - {d.greatest('act.s', 'b')}, 0 "
        f"FROM act, {d.buckets_of('act.s', 'act.e')} WHERE {d.bucket_condition('act.s', 'act.e')} "
        f"UNION ALL SELECT act.agent_id, act.team_id, b, NULL, 0, 0, "
        f"{d.least('act.e', 'st.e', 'b + 900')} - {d.greatest('act.s', 'st.s', 'b')} "
        f"FROM act JOIN st ON st.agent_id = act.agent_id AND st.s < act.e AND st.e > act.s AND ({match}), "
        f"{d.buckets_of(over_start, over_end)} WHERE {d.bucket_condition(over_start, over_end)}) "
        f"INSERT INTO {table(StateInterval)} (interval_start, agent_id, team_id, {', '.join(names)}) "
        f"SELECT {d.from_epoch('parts.b')}, parts.agent_id, parts.team_id, "
        f"SUM(CASE WHEN state IS NOT NULL AND state <> 'offline' THEN secs ELSE 0 END), "
        f"{state_sums}, SUM(scheduled), SUM(adherent) "
        f"FROM parts GROUP BY parts.b, parts.agent_id, parts.team_id"
    )
