"""The rollup's statements, built from the registry.

The component names come from kpis.definitions, the contact aggregates from
interactions.outcomes (the one definition the drill-down lists filter with too), the
state components from STATE_COLUMNS. Each statement is one `INSERT ... SELECT ...
GROUP BY` that the database runs whole (no row passes through Python).

The contact aggregates are composed two ways from the same ORM expressions: grouped per
15-minute interval for the rollup (contact_interval_rows) and summed over a window for
the live read (contact_components_between), so the wallboard counts as the rollups do.
The quality components come from the contacts' evaluations (evaluation_interval_rows),
grouped on the evaluated contact's interval and keys, and join the contacts' rows in the
same INSERT (the live read has none: no wallboard shows quality).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, FloatField, Q, Sum, Value
from django.db.models.functions import Coalesce

from agents.models import AgentStateEvent
from interactions import outcomes
from interactions.models import Interaction
from interactions.outcomes import repeat_window
from kpis.definitions import (
    CONTACT_COMPONENTS,
    MAX_COMPONENTS,
    OUTCOME_COMPONENTS,
    QUALITY_COMPONENTS,
    STATE_COMPONENTS,
)
from kpis.models import AgentDay, ContactDay, ContactInterval, StateInterval
from kpis.rollup.dialect import Bucket, Dialect, table
from quality.models import Evaluation, EvaluationStatus
from scheduling.models import Shift, ShiftActivity


def state_cap() -> timedelta:
    """A state lasts until the agent's next event, but never longer than this."""
    return timedelta(hours=getattr(settings, "KPI_STATE_CAP_HOURS", 12))


# Contacts -------------------------------------------------------------------------------

CONTACT_INTERVAL_KEYS = ("interval_start", "queue_id", "team_id", "agent_id", "channel")


def contact_interval_rows(start: datetime | None = None, end: datetime | None = None):
    """Contact components per (15-minute interval, queue, team, agent, channel) of the
    contacts that arrived in [start, end), aggregated with the outcome rules of
    interactions.outcomes: the one definition the drill-down lists filter with too."""
    contacts = Interaction.objects.all()
    if start is not None:
        contacts = contacts.filter(arrived_at__gte=start)
    if end is not None:
        contacts = contacts.filter(arrived_at__lt=end)
    aggregates = outcomes.component_aggregates(repeat_window())
    assert tuple(aggregates) == OUTCOME_COMPONENTS
    return (
        contacts.annotate(interval_start=Bucket("arrived_at"))
        .values(*CONTACT_INTERVAL_KEYS)
        .annotate(**aggregates)
        .order_by()
    )


# The evaluations the quality components count: scored and shared with the agent (not a
# draft), and not one of a calibration's blind scores.
COUNTED_EVALUATIONS = Q(
    status__in=(
        EvaluationStatus.SUBMITTED,
        EvaluationStatus.ACKNOWLEDGED,
        EvaluationStatus.DISPUTED,
        EvaluationStatus.RESOLVED,
    ),
    calibration__isnull=True,
)


def evaluation_interval_rows(start: datetime, end: datetime):
    """Quality components per (15-minute interval, queue, team, agent, channel) of the
    evaluated contact, for the counted evaluations of contacts that arrived in
    [start, end): the stored points (0 after a critical fail), possible points, count and
    critical fails. Columns are named e_<key> (Evaluation has an agent of its own)."""
    keys = {f"e_{key}": F(f"contact__{key}") for key in CONTACT_INTERVAL_KEYS[1:]}
    return (
        Evaluation.objects.filter(
            COUNTED_EVALUATIONS, contact__arrived_at__gte=start, contact__arrived_at__lt=end
        )
        .values(e_interval_start=Bucket("contact__arrived_at"), **keys)
        .annotate(
            qa_points=Coalesce(Sum("points"), Value(0.0), output_field=FloatField()),
            qa_possible=Coalesce(Sum("possible"), Value(0.0), output_field=FloatField()),
            qa_evaluations=Count("pk"),
            qa_critical_fails=Count("pk", filter=Q(critical_failed=True)),
        )
        .order_by()
    )


def contact_interval_statement(start: datetime, end: datetime) -> tuple[str, tuple]:
    """INSERT ... SELECT of the contacts' rows (contact_interval_rows) and their
    evaluations' (evaluation_interval_rows), added up per interval and keys: the ORM
    writes the two SELECTs, the database runs it all (no row passes through Python).
    Every evaluated contact has its row among the contacts', so the evaluations add no
    row of their own."""
    contact_sql, contact_params = contact_interval_rows(start, end).query.sql_with_params()
    evaluation_sql, evaluation_params = evaluation_interval_rows(start, end).query.sql_with_params()
    keys = ", ".join(CONTACT_INTERVAL_KEYS)
    contact_side = ", ".join(
        (*CONTACT_INTERVAL_KEYS, *OUTCOME_COMPONENTS, *(f"0 AS {n}" for n in QUALITY_COMPONENTS))
    )
    evaluation_side = ", ".join((
        *(f"e_{key} AS {key}" for key in CONTACT_INTERVAL_KEYS),
        *(f"NULL AS {n}" if n in MAX_COMPONENTS else f"0 AS {n}" for n in OUTCOME_COMPONENTS),
        *QUALITY_COMPONENTS,
    ))  # fmt: skip
    sql = (
        f"INSERT INTO {table(ContactInterval)} ({keys}, {', '.join(CONTACT_COMPONENTS)}) "
        f"SELECT {keys}, {_sum_columns(CONTACT_COMPONENTS)} FROM ("
        f"SELECT {contact_side} FROM ({contact_sql}) contacts "
        f"UNION ALL SELECT {evaluation_side} FROM ({evaluation_sql}) evaluations"
        f") parts GROUP BY {keys}"
    )
    return sql, (*contact_params, *evaluation_params)


def contact_components_between(
    start: datetime, end: datetime, queue_ids=None, *, team_ids=None, parts=None
) -> dict:
    """Outcome components of [start, end) for these queues (or the contacts these teams
    took), summed straight from the raw table with the rollup's own aggregates: the live
    wallboard counts exactly as the rollups do. With `parts` (name -> condition), the
    components of each part of those contacts, by name, from the same one query."""
    contacts = Interaction.objects.filter(arrived_at__gte=start, arrived_at__lt=end)
    if queue_ids is not None:
        contacts = contacts.filter(queue__in=list(queue_ids))
    if team_ids is not None:
        contacts = contacts.filter(team__in=list(team_ids))
    window = repeat_window()
    selected = {None: None} if parts is None else parts
    aggregates = {}
    for part, condition in selected.items():
        aggregates |= {
            f"{part or 'all'}_{name}": aggregate
            for name, aggregate in outcomes.component_aggregates(window, condition).items()
        }
    sums = contacts.aggregate(**aggregates)
    result = {
        part: {name: sums[f"{part or 'all'}_{name}"] for name in OUTCOME_COMPONENTS}
        for part in selected
    }
    return result[None] if parts is None else result


# Agent states and schedules -------------------------------------------------------------

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


# Days -----------------------------------------------------------------------------------


def _sum_columns(names, prefix=""):
    return ", ".join(
        f"MAX({prefix}{name})" if name in MAX_COMPONENTS else f"SUM({prefix}{name})"
        for name in names
    )


def contact_day_statement(d: Dialect) -> str:
    """Contact components per (local day, queue, team, channel), from the intervals."""
    names = ", ".join(CONTACT_COMPONENTS)
    day = d.local_day()
    return (
        f"INSERT INTO {table(ContactDay)} (day, queue_id, team_id, channel, {names}) "
        f"SELECT {day}, queue_id, team_id, channel, {_sum_columns(CONTACT_COMPONENTS)} "
        f"FROM {table(ContactInterval)} "
        f"WHERE interval_start >= %(start)s AND interval_start < %(end)s "
        f"GROUP BY {day}, queue_id, team_id, channel"
    )


def agent_day_statement(d: Dialect) -> str:
    """Contact and state components per (local day, agent, team), from the intervals."""
    contact_zero = ", ".join(f"0 AS {name}" for name in STATE_COMPONENTS)
    state_zero = ", ".join(
        f"NULL AS {name}" if name == "wait_max" else f"0 AS {name}" for name in CONTACT_COMPONENTS
    )
    names = (*CONTACT_COMPONENTS, *STATE_COMPONENTS)
    day = d.local_day()
    return (
        f"INSERT INTO {table(AgentDay)} (day, agent_id, team_id, {', '.join(names)}) "
        f"SELECT day, agent_id, team_id, {_sum_columns(names)} FROM ("
        f"SELECT {day} AS day, agent_id, team_id, {', '.join(CONTACT_COMPONENTS)}, {contact_zero} "
        f"FROM {table(ContactInterval)} WHERE agent_id IS NOT NULL "
        f"AND interval_start >= %(start)s AND interval_start < %(end)s "
        f"UNION ALL SELECT {day} AS day, agent_id, team_id, {state_zero}, "
        f"{', '.join(STATE_COMPONENTS)} FROM {table(StateInterval)} "
        f"WHERE interval_start >= %(start)s AND interval_start < %(end)s"
        f") parts GROUP BY day, agent_id, team_id"
    )
