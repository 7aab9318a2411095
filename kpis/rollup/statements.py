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

from datetime import datetime

from django.db.models import Count, F, FloatField, Q, Sum, Value
from django.db.models.functions import Coalesce

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
from kpis.models import AgentDay, ContactDay, ContactHour, ContactInterval, StateInterval
from kpis.rollup.dialect import Bucket, Dialect, table
from quality.models import Evaluation, EvaluationStatus

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


# Days -----------------------------------------------------------------------------------


def _total(name: str) -> str:
    return f"MAX({name})" if name in MAX_COMPONENTS else f"SUM({name})"


def _sum_columns(names):
    return ", ".join(_total(name) for name in names)


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


def _state_days(d: Dialect, agents: str = "TRUE") -> str:
    """SELECT of the state components per (local day, agent, team) of the run, beside
    zeros for the contact ones and a blank channel (states belong to none): summed on
    their own first, so the many state intervals (one per agent and quarter-hour) carry
    their own few columns through the sums."""
    day = d.local_day()
    contact_zero = ", ".join(
        f"NULL AS {name}" if name in MAX_COMPONENTS else f"0 AS {name}"
        for name in CONTACT_COMPONENTS
    )
    state_sums = ", ".join(f"SUM({name}) AS {name}" for name in STATE_COMPONENTS)
    return (
        f"SELECT {day} AS day, agent_id, team_id, '' AS channel, {contact_zero}, {state_sums} "
        f"FROM {table(StateInterval)} "
        f"WHERE {agents} AND interval_start >= %(start)s AND interval_start < %(end)s "
        f"GROUP BY {day}, agent_id, team_id"
    )


def agent_day_statement(d: Dialect, *, of_agents: bool = False) -> str:
    """Contact components per (local day, agent, team, channel) and state components per
    (local day, agent, team), from the intervals; `of_agents`: only the agents whose ids
    the `agents` parameter holds (an array on PostgreSQL, JSON on SQLite)."""
    agents = "TRUE"
    if of_agents:
        agents = (
            "agent_id = ANY(%(agents)s)"
            if d.postgres
            else "agent_id IN (SELECT value FROM json_each(%(agents)s))"
        )
    state_zero = ", ".join(f"0 AS {name}" for name in STATE_COMPONENTS)
    names = (*CONTACT_COMPONENTS, *STATE_COMPONENTS)
    return (
        f"INSERT INTO {table(AgentDay)} (day, agent_id, team_id, channel, {', '.join(names)}) "
        f"SELECT day, agent_id, team_id, channel, {_sum_columns(names)} FROM ("
        f"SELECT {d.local_day()} AS day, agent_id, team_id, channel, "
        f"{', '.join(CONTACT_COMPONENTS)}, {state_zero} FROM {table(ContactInterval)} "
        f"WHERE agent_id IS NOT NULL AND {agents} "
        f"AND interval_start >= %(start)s AND interval_start < %(end)s "
        f"UNION ALL {_state_days(d, agents)}"
        f") parts GROUP BY day, agent_id, team_id, channel"
    )


def contact_hour_statement(d: Dialect) -> str:
    """Contact components per (local day, local hour, queue, team, channel), from the
    intervals."""
    names = ", ".join(CONTACT_COMPONENTS)
    day, hour = d.local_day(), d.local_hour()
    return (
        f"INSERT INTO {table(ContactHour)} (day, hour, queue_id, team_id, channel, {names}) "
        f"SELECT {day}, {hour}, queue_id, team_id, channel, {_sum_columns(CONTACT_COMPONENTS)} "
        f"FROM {table(ContactInterval)} "
        f"WHERE interval_start >= %(start)s AND interval_start < %(end)s "
        f"GROUP BY {day}, {hour}, queue_id, team_id, channel"
    )


def day_tables_statement(d: Dialect) -> str:
    """PostgreSQL: the three day tables of a run of days in one pass over its contact
    intervals. GROUPING SETS sum them per local hour, per local day and per agent at once;
    data-modifying CTEs write the hour and day rows, and the agent rows join the states'
    (summed per local day and agent) as agent_day_statement's do. Each set's sums are
    those of the separate statements: same rows, same columns, same parameters."""
    names = ", ".join(CONTACT_COMPONENTS)
    state_names = ", ".join(STATE_COMPONENTS)
    # GROUPING(hour, agent_id) names the set a row belongs to: 1 hour, 3 day, 2 agent.
    by_hour, by_day, by_agent = 1, 3, 2
    state_zero = ", ".join(f"0 AS {name}" for name in STATE_COMPONENTS)
    summed = ", ".join(f"{_total(name)} AS {name}" for name in CONTACT_COMPONENTS)
    in_run = "interval_start >= %(start)s AND interval_start < %(end)s"
    return (
        f"WITH contact_sets AS ("
        f"SELECT GROUPING(hour, agent_id) AS grouping_set, day, hour, queue_id, team_id, "
        f"agent_id, channel, {summed} FROM ("
        f"SELECT {d.local_day()} AS day, {d.local_hour()} AS hour, queue_id, team_id, agent_id, "
        f"channel, {names} FROM {table(ContactInterval)} WHERE {in_run}) intervals "
        f"GROUP BY GROUPING SETS ((day, hour, queue_id, team_id, channel), "
        f"(day, queue_id, team_id, channel), (day, agent_id, team_id, channel))), "
        f"hours AS (INSERT INTO {table(ContactHour)} (day, hour, queue_id, team_id, channel, "
        f"{names}) SELECT day, hour, queue_id, team_id, channel, {names} FROM contact_sets "
        f"WHERE grouping_set = {by_hour}), "
        f"days AS (INSERT INTO {table(ContactDay)} (day, queue_id, team_id, channel, {names}) "
        f"SELECT day, queue_id, team_id, channel, {names} FROM contact_sets "
        f"WHERE grouping_set = {by_day}) "
        f"INSERT INTO {table(AgentDay)} (day, agent_id, team_id, channel, {names}, "
        f"{state_names}) SELECT day, agent_id, team_id, channel, "
        f"{_sum_columns((*CONTACT_COMPONENTS, *STATE_COMPONENTS))} FROM ("
        f"SELECT day, agent_id, team_id, channel, {names}, {state_zero} FROM contact_sets "
        f"WHERE grouping_set = {by_agent} AND agent_id IS NOT NULL "
        f"UNION ALL {_state_days(d)}"
        f") parts GROUP BY day, agent_id, team_id, channel"
    )


def day_statements(d: Dialect) -> tuple[str, ...]:
    """The statements that derive the day tables of a run of days from its intervals, in
    order (after the contact and state interval statements): one pass on PostgreSQL, one
    statement per table on SQLite (which has neither GROUPING SETS nor INSERT in a CTE)."""
    if d.postgres:
        return (day_tables_statement(d),)
    return (contact_day_statement(d), agent_day_statement(d), contact_hour_statement(d))


# PostgreSQL settings ---------------------------------------------------------------------

# For the statements of a run of days. JIT compiling the contact statement took 30 % of
# a 31-day run and saved less; the FCR look-up's sort and the day tables' hash tables
# spilled to disk at the default 4 MB.
RUN_SETTINGS = {"jit": "off", "work_mem": "64MB"}


def set_local(cursor, settings: dict) -> None:
    """Apply PostgreSQL settings until the end of the current transaction."""
    calls = ", ".join("set_config(%s, %s, true)" for _ in settings)
    cursor.execute(f"SELECT {calls}", [value for item in settings.items() for value in item])
