"""The agent-state and schedule statement: seconds per (15-minute interval, agent).

Kept apart from the contact statements (kpis.rollup.statements): the states are the
largest part of a rollup's work and are tuned on their own. The same statement rolls a
year (the full rebuild), a run of days, the agents whose states or schedules changed on a
day, or the minutes since the last run (kpis.rollup.run); PostgreSQL's is linear in the
15-minute pieces of states and activities, SQLite's (one day at a time) simpler.
"""

import json
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


def state_interval_statement(d: Dialect, *, agents: bool = False) -> str:
    """Agent-state and schedule seconds per (15-minute interval, agent) of [start, end).

    A state lasts until the agent's next event, at most `state_cap()`; states and
    scheduled activities are clipped to [first, last) (epoch seconds: the range, cut at
    the present) and cut at interval boundaries; adherent time is the overlap of an
    activity with a matching state. Parameters: start, end (the range), since (start less
    the cap: the events that can reach into it), first, last, cap (epoch seconds) and,
    with `agents`, agents (agent_ids(...)): only those agents are rolled.
    """
    if d.postgres:
        return _postgres_statement(agents)
    return _sqlite_statement(d, agents)


def agent_ids(ids) -> list[int] | str:
    """The `agents` parameter of state_interval_statement(agents=True): a list on
    PostgreSQL, a JSON array on SQLite."""
    ids = sorted(ids)
    return ids if connection.vendor == "postgresql" else json.dumps(ids)


NAMES = ("staffed_seconds", *STATE_COLUMNS, "scheduled_seconds", "adherent_seconds")
assert set(NAMES) == set(STATE_COMPONENTS)


def _activity_end() -> str:
    return "a." + connection.ops.quote_name("end")  # END is an SQL keyword


def _insert(interval_start: str, to_seconds: str) -> str:
    """INSERT ... SELECT of the rows of `parts` (agent_id, team_id, b: the interval,
    state, secs, scheduled, adherent) summed per interval, agent and team."""
    sums = [
        "SUM(CASE WHEN state IS NOT NULL AND state <> 'offline' THEN secs ELSE 0 END)",
        *(
            f"SUM(CASE WHEN state IN ({_quoted(states)}) THEN secs ELSE 0 END)"
            for states in STATE_COLUMNS.values()
        ),
        "SUM(scheduled)",
        "SUM(adherent)",
    ]
    return (
        f"INSERT INTO {table(StateInterval)} (interval_start, agent_id, team_id, {', '.join(NAMES)}) "
        f"SELECT {interval_start}, agent_id, team_id, "
        f"{', '.join(to_seconds.format(total) for total in sums)} "
        f"FROM parts GROUP BY b, agent_id, team_id"
    )


def _quoted(states) -> str:
    return ", ".join(repr(state) for state in states)


def _matches(activity: str, state: str) -> str:
    """The activity's kind and the state adhere (ADHERENT_STATES)."""
    return " OR ".join(
        f"({activity}.kind = '{kind}' AND {state}.state IN ({_quoted(states)}))"
        for kind, states in ADHERENT_STATES.items()
    )


def _agent_filter(d: Dialect, column: str, agents: bool) -> str:
    if not agents:
        return "TRUE"
    if d.postgres:
        return f"{column} = ANY(%(agents)s)"
    return f"{column} IN (SELECT value FROM json_each(%(agents)s))"


# PostgreSQL counts in whole microseconds (its timestamps' resolution): exact integers
# whatever the order of the sums, and several times faster than numeric epoch seconds.
US = 1_000_000
QUARTER = 900 * US


def _postgres_statement(agents: bool) -> str:
    """States and activities are cut into their 15-minute pieces first, and the overlaps
    found by joining the pieces on (agent, interval): linear in the pieces (joining whole
    activities and states on the agent alone paired every activity of a year with every
    state of its agent). The states and activities are computed once (MATERIALIZED);
    the pieces are generated where they are read, behind OFFSET 0 so that the planner
    joins pieces, not whole rows."""
    d, activity_end = Dialect("postgresql"), _activity_end()

    def us(column):
        return f"(extract(epoch from {column}) * {US})::bigint"

    first, last, cap = (f"round(%({name})s * {US})::bigint" for name in ("first", "last", "cap"))
    at = us("e.at")
    ends = f"LEAST(COALESCE(LEAD({at}) OVER (PARTITION BY e.agent_id ORDER BY e.at), {at} + {cap}), {at} + {cap})"

    def pieces(name, columns, source):
        return (
            f"{name} AS NOT MATERIALIZED (SELECT {columns}, b, GREATEST(x.s, b * {QUARTER}) AS s, "
            f"LEAST(x.e, (b + 1) * {QUARTER}) AS e "
            f"FROM {source} x, generate_series(x.s / {QUARTER}, (x.e - 1) / {QUARTER}) AS b OFFSET 0)"
        )

    return (
        f"WITH ev AS (SELECT e.agent_id, e.team_id, e.state, {at} AS s, {ends} AS e "
        f"FROM {table(AgentStateEvent)} e WHERE e.at >= %(since)s AND e.at < %(end)s "
        f"AND {_agent_filter(d, 'e.agent_id', agents)}), "
        f"st AS MATERIALIZED (SELECT agent_id, team_id, state, GREATEST(s, {first}) AS s, "
        f"LEAST(e, {last}) AS e FROM ev WHERE e > {first} AND s < {last} AND e > s), "
        f"act AS MATERIALIZED (SELECT agent_id, team_id, kind, GREATEST(s, {first}) AS s, "
        f"LEAST(e, {last}) AS e FROM (SELECT sh.agent_id, sh.team_id, a.kind, {us('a.start')} AS s, "
        f"{us(activity_end)} AS e FROM {table(ShiftActivity)} a JOIN {table(Shift)} sh ON sh.id = a.shift_id "
        f"WHERE {activity_end} > %(start)s AND a.start < %(end)s AND {_agent_filter(d, 'sh.agent_id', agents)}) a "
        f"WHERE e > {first} AND s < {last}), "
        f"{pieces('stp', 'x.agent_id, x.team_id, x.state', 'st')}, "
        f"{pieces('actp', 'x.agent_id, x.team_id, x.kind', 'act')}, "
        # Summed as float8: whole microseconds, exact far beyond a day's sums (2^53).
        "parts AS (SELECT agent_id, team_id, b, state, (e - s)::float8 AS secs, 0::float8 AS scheduled, "
        "0::float8 AS adherent FROM stp "
        "UNION ALL SELECT agent_id, team_id, b, NULL, 0, e - s, 0 FROM actp "
        "UNION ALL SELECT actp.agent_id, actp.team_id, actp.b, NULL, 0, 0, "
        "LEAST(actp.e, stp.e) - GREATEST(actp.s, stp.s) "
        "FROM actp JOIN stp ON stp.agent_id = actp.agent_id AND stp.b = actp.b "
        f"AND stp.s < actp.e AND stp.e > actp.s AND ({_matches('actp', 'stp')})) "
        + _insert("to_timestamp(b * 900)", f"{{}} / {US}")
    )


def _sqlite_statement(d: Dialect, agents: bool) -> str:
    """One day at a time: states and activities joined whole and cut against the day's
    interval list (a recursive CTE, buckets), in epoch seconds."""
    at, activity_end = d.epoch("e.at"), _activity_end()
    ends = d.least(
        f"COALESCE(LEAD({at}) OVER (PARTITION BY e.agent_id ORDER BY e.at), {at} + %(cap)s)",
        f"{at} + %(cap)s",
    )
    over_end, over_start = d.least("act.e", "st.e"), d.greatest("act.s", "st.s")

    def cut(begin, end):
        return f"b < {end} AND b + 900 > {begin}"

    return (
        "WITH RECURSIVE buckets(b) AS (SELECT %(first)s UNION ALL "
        "SELECT b + 900 FROM buckets WHERE b + 900 < %(last)s), "
        f"ev AS (SELECT e.agent_id, e.team_id, e.state, {at} AS s, {ends} AS e "
        f"FROM {table(AgentStateEvent)} e WHERE e.at >= %(since)s AND e.at < %(end)s "
        f"AND {_agent_filter(d, 'e.agent_id', agents)}), "
        f"st AS (SELECT agent_id, team_id, state, {d.greatest('s', '%(first)s')} AS s, "
        f"{d.least('e', '%(last)s')} AS e FROM ev WHERE e > %(first)s AND s < %(last)s AND e > s), "
        f"act AS (SELECT agent_id, team_id, kind, {d.greatest('s', '%(first)s')} AS s, "
        f"{d.least('e', '%(last)s')} AS e FROM (SELECT sh.agent_id, sh.team_id, a.kind, "
        f"{d.epoch('a.start')} AS s, {d.epoch(activity_end)} AS e "
        f"FROM {table(ShiftActivity)} a JOIN {table(Shift)} sh ON sh.id = a.shift_id "
        f"WHERE {activity_end} > %(start)s AND a.start < %(end)s "
        f"AND {_agent_filter(d, 'sh.agent_id', agents)}) a WHERE e > %(first)s AND s < %(last)s), "
        f"parts AS ("
        f"SELECT st.agent_id, st.team_id, b, st.state, {d.least('st.e', 'b + 900')} - {d.greatest('st.s', 'b')} AS secs, "
        f"0 AS scheduled, 0 AS adherent FROM st, buckets WHERE {cut('st.s', 'st.e')} "
        f"UNION ALL SELECT act.agent_id, act.team_id, b, NULL, 0, "
        f"{d.least('act.e', 'b + 900')} - {d.greatest('act.s', 'b')}, 0 "
        f"FROM act, buckets WHERE {cut('act.s', 'act.e')} "
        f"UNION ALL SELECT act.agent_id, act.team_id, b, NULL, 0, 0, "
        f"{d.least('act.e', 'st.e', 'b + 900')} - {d.greatest('act.s', 'st.s', 'b')} "
        f"FROM act JOIN st ON st.agent_id = act.agent_id AND st.s < act.e AND st.e > act.s "
        f"AND ({_matches('act', 'st')}), buckets WHERE {cut(over_start, over_end)}) "
        + _insert(d.from_epoch("b"), "{}")
    )
