"""The agent-state and schedule statement: seconds per (15-minute interval, agent).

Kept apart from the contact statements (kpis.rollup.statements): the states are the
largest part of a rollup's work and are tuned on their own. The same statement rolls a
year (the full rebuild), a run of days, the agents whose states or schedules changed on a
day, or the minutes since the last run (kpis.rollup.run); PostgreSQL's is linear in the
15-minute pieces of states and activities, SQLite's (one day at a time) simpler.
"""

import json
from datetime import datetime, timedelta

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


def state_interval_statement(d: Dialect, *, spans: bool = False) -> str:
    """Agent-state and schedule seconds per (15-minute interval, agent) of [start, end).

    A state lasts until the agent's next event, at most `state_cap()`; states and
    scheduled activities are clipped to [first, last) (epoch seconds: the range, cut at
    the present) and cut at interval boundaries; adherent time is the overlap of an
    activity with a matching state. Parameters: state_params(). With `spans`, only some
    agents are rolled, each over a span of its own: span_params().
    """
    if d.postgres:
        return _postgres_statement(spans)
    return _sqlite_statement(d, spans)


def state_params(start: datetime, end: datetime, now: datetime) -> dict:
    """The parameters of the statement over [start, end) (15-minute boundaries), cut at
    `now`."""
    cap = state_cap()
    adapt = connection.ops.adapt_datetimefield_value
    return {
        "start": adapt(start),
        "end": adapt(end),
        "since": adapt(start - cap),  # the events that can reach into the range
        "first": start.timestamp(),
        "last": min(end, now).timestamp(),
        "cap": cap.total_seconds(),
    }


def span_params(spans: dict[int, list[tuple[datetime, datetime]]], now: datetime) -> dict:
    """The parameters of the statement with `spans`: agent id -> its spans [start, end)
    (15-minute boundaries, not overlapping), each cut at `now`: the range over them all,
    and each span's bounds (arrays on PostgreSQL, a JSON array of rows on SQLite)."""
    rows = [
        (agent, state_params(start, end, now))
        for agent, agent_spans in sorted(spans.items())
        for start, end in agent_spans
    ]
    starts = [start for agent_spans in spans.values() for start, _ in agent_spans]
    ends = [end for agent_spans in spans.values() for _, end in agent_spans]
    params = state_params(min(starts), max(ends), now)
    columns = ("since", "start", "end", "first", "last")
    if connection.vendor == "postgresql":
        params["agents"] = [agent for agent, _ in rows]
        params |= {f"span_{name}": [row[name] for _, row in rows] for name in columns}
    else:
        spans_json = [[agent, *(row[name] for name in columns)] for agent, row in rows]
        params["spans"] = json.dumps(spans_json)
    return params


NAMES = ("staffed_seconds", *STATE_COLUMNS, "scheduled_seconds", "adherent_seconds")
assert set(NAMES) == set(STATE_COMPONENTS)


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


def _spans(d: Dialect) -> str:
    """The CTE `r`: one row per span (agent_id, since, start, "end", first, last)."""
    if d.postgres:
        return (
            "r AS (SELECT * FROM unnest(%(agents)s::bigint[], %(span_since)s::timestamptz[], "
            "%(span_start)s::timestamptz[], %(span_end)s::timestamptz[], "
            "%(span_first)s::numeric[], %(span_last)s::numeric[]) "
            'AS r(agent_id, since, start, "end", first, last)), '
        )
    return (
        "r AS (SELECT value ->> 0 AS agent_id, value ->> 1 AS since, value ->> 2 AS start, "
        'value ->> 3 AS "end", value ->> 4 AS first, value ->> 5 AS last '
        "FROM json_each(%(spans)s)), "
    )


def span_delete_statement(d: Dialect) -> str:
    """DELETE of the state intervals inside the spans of span_params(): joined with the
    same span rows the statement inserts from, so thousands of spans (a month of shifts
    published) stay one small statement. On PostgreSQL a join (USING), which the planner
    drives from the spans through the (agent, interval) index: written as EXISTS it
    hashed the spans and scanned the whole table (1.2 s at 6M rows for 40 deleted)."""
    spans = _spans(d).rstrip(", ")
    rows = table(StateInterval)
    inside = (
        f"r.agent_id = {rows}.agent_id AND {rows}.interval_start >= r.start "
        f'AND {rows}.interval_start < r."end"'
    )
    if d.postgres:
        return f"WITH {spans} DELETE FROM {rows} USING r WHERE {inside}"
    return f"WITH {spans} DELETE FROM {rows} WHERE EXISTS (SELECT 1 FROM r WHERE {inside})"


def _sources(d: Dialect, spans: bool, epoch) -> str:
    """The CTEs ev (events), st (states) and act (activities), each row clipped to its
    bounds [lo, hi): the range's, or its agent's span's. `epoch` converts a column to
    the statement's unit."""
    activity_end = "a." + connection.ops.quote_name("end")  # END is an SQL keyword
    at = epoch("e.at")
    cap = epoch("%(cap)s", column=False)
    # With spans, each span's events are states of their own (an agent's spans do not
    # overlap, their events may: each state is clipped to its span).
    following = (
        f"LEAD({at}) OVER (PARTITION BY e.agent_id{', r.start' if spans else ''} ORDER BY e.at)"
    )
    ends = d.least(f"COALESCE({following}, {at} + {cap})", f"{at} + {cap}")
    if spans:
        lo, hi = epoch("r.first", column=False), epoch("r.last", column=False)
        events = 'JOIN r ON r.agent_id = e.agent_id AND e.at >= r.since AND e.at < r."end" '
        activities = f'JOIN r ON r.agent_id = sh.agent_id AND {activity_end} > r.start AND a.start < r."end" '
    else:
        lo, hi = epoch("%(first)s", column=False), epoch("%(last)s", column=False)
        events = activities = ""
    materialized = "MATERIALIZED " if d.postgres else ""  # each is read twice
    return (
        f"{_spans(d) if spans else ''}"
        f"ev AS (SELECT e.agent_id, e.team_id, e.state, {at} AS s, {ends} AS e, {lo} AS lo, "
        f"{hi} AS hi FROM {table(AgentStateEvent)} e {events}"
        f"WHERE e.at >= %(since)s AND e.at < %(end)s), "
        f"st AS {materialized}(SELECT agent_id, team_id, state, {d.greatest('s', 'lo')} AS s, "
        f"{d.least('e', 'hi')} AS e FROM ev WHERE e > lo AND s < hi AND e > s), "
        f"act AS {materialized}(SELECT agent_id, team_id, kind, {d.greatest('s', 'lo')} AS s, "
        f"{d.least('e', 'hi')} AS e FROM (SELECT sh.agent_id, sh.team_id, a.kind, "
        f"{epoch('a.start')} AS s, {epoch(activity_end)} AS e, {lo} AS lo, {hi} AS hi "
        f"FROM {table(ShiftActivity)} a JOIN {table(Shift)} sh ON sh.id = a.shift_id {activities}"
        f"WHERE {activity_end} > %(start)s AND a.start < %(end)s) a WHERE e > lo AND s < hi)"
    )


# PostgreSQL counts in whole microseconds (its timestamps' resolution): exact integers
# whatever the order of the sums, and several times faster than numeric epoch seconds.
US = 1_000_000
QUARTER = 900 * US


def _postgres_statement(spans: bool) -> str:
    """States and activities are cut into their 15-minute pieces first, and the overlaps
    found by joining the pieces on (agent, interval): linear in the pieces (joining whole
    activities and states on the agent alone paired every activity of a year with every
    state of its agent). The states and activities are computed once (MATERIALIZED);
    the pieces are generated where they are read, behind OFFSET 0 so that the planner
    joins pieces, not whole rows."""

    def microseconds(value, column=True):
        if column:
            return f"(extract(epoch from {value}) * {US})::bigint"
        return f"round({value} * {US})::bigint"

    def pieces(name, columns, source):
        return (
            f"{name} AS NOT MATERIALIZED (SELECT {columns}, b, GREATEST(x.s, b * {QUARTER}) AS s, "
            f"LEAST(x.e, (b + 1) * {QUARTER}) AS e "
            f"FROM {source} x, generate_series(x.s / {QUARTER}, (x.e - 1) / {QUARTER}) AS b OFFSET 0)"
        )

    return (
        f"WITH {_sources(Dialect('postgresql'), spans, microseconds)}, "
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


def _sqlite_statement(d: Dialect, spans: bool) -> str:
    """One day at a time: states and activities joined whole and cut against the range's
    interval list (a recursive CTE, buckets), in epoch seconds."""

    def seconds(value, column=True):
        return d.epoch(value) if column else value

    over_end, over_start = d.least("act.e", "st.e"), d.greatest("act.s", "st.s")

    def cut(begin, end):
        return f"b < {end} AND b + 900 > {begin}"

    return (
        "WITH RECURSIVE buckets(b) AS (SELECT %(first)s UNION ALL "
        "SELECT b + 900 FROM buckets WHERE b + 900 < %(last)s), "
        f"{_sources(d, spans, seconds)}, "
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
