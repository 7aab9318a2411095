"""Set-based contact ingest on PostgreSQL: a batch is COPied into a staging table, judged
by the contract's rules in SQL, joined to its queues and agents, and upserted in one
statement.

1. `copy_rows`: each record goes into a TEMP table, one row per record, `line` its place
   in the batch, each value as stripped text (NULL when missing). `text_row` turns a
   record into that row; a record it cannot turn (a JSON type the field does not take as
   text, a NUL character, which PostgreSQL's text cannot hold, a recording address,
   which Django's URLValidator judges) is judged in Python by records.parse_contact
   instead: rejected there, or staged with its clean values and `checked`, so SQL does
   not judge it again.
2. `problems`: the contract's rules in SQL, built from records.CONTACT_RULES and the
   patterns and limits there. PostgreSQL's regular expressions cost microseconds a call,
   so a row in the common forms is passed by cheap tests (`_row_fine`: lengths, lists of
   words, shapes a subset of records' patterns); only the other rows get every field's
   rule (`_field_problem`) and the rules across fields, as codes that
   records.Rule.message words exactly as the Python parsers word them.
3. `unknown_names` / `unknown_queues` / `unknown_agents`: the names to create (services
   creates them, as on every path).
4. `upsert`: INSERT ... SELECT with the casts and the joins, ON CONFLICT DO UPDATE,
   RETURNING (xmax = 0): whether each row was created or updated, as the database did it.

Identifiers come from the models and records' field names, patterns from records'
constants; every value from outside is a bound parameter.
"""

# ruff: noqa: S608 (SQL built from the models' and the rules' identifiers, values bound)

from datetime import datetime
from decimal import Decimal

from django.db import connection

from agents.models import Agent
from interactions import records
from interactions.models import MAX_DURATION_SECONDS, Interaction, Queue

STAGING = "interactions_contact_staging"
RULES = records.CONTACT_RULES
FIELDS = records.CONTACT_FIELDS
_FIELD_SET = frozenset(FIELDS)
KINDS = {name: rule.kind for name, rule in RULES.items()}

# Fields a resend replaces. Survey answers are merged instead (never erased), the team
# stays the one captured at first ingest while the agent stays, and created_at keeps the
# first arrival.
CONTACT_UPDATE_FIELDS = [
    *(name for name in FIELDS if name not in ("external_id", "source")),
    "team",
    "updated_at",
]

# Where a decimal number stops being a float: from 2**1024 - 2**970 up it rounds to
# infinity, and at or below 2**-1075 to zero (ties go to the even neighbour). Python's
# float() and PostgreSQL's float8 both round correctly; numeric compares exactly, so
# these bounds give SQL Python's verdict on "1e400" and "1e-400".
FLOAT_INFINITE_FROM = Decimal(2**1024 - 2**970)
FLOAT_ZERO_UP_TO = Decimal(f"{5**1075}E-1075")  # 2**-1075, exactly

# The common form of a time, a subset of records.ISO_TIME: seconds, an offset PostgreSQL
# casts itself (up to 15:59) and a year from 1900 to 2999.
COMMON_TIME = (
    "(?:19|2[0-9])[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    "[T ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:[.][0-9]{1,6})?"
    "(?:Z|[+-](?:0[0-9]|1[0-5]):[0-5][0-9])"
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


# -- 1. records to text ---------------------------------------------------------------


def text_row(record) -> list | None:
    """The record's values as stripped text (None when missing) in FIELDS order; None
    when the record must be judged in Python (see the module's docstring)."""
    if not isinstance(record, dict) or not _FIELD_SET.issuperset(record):
        return None
    try:
        joined = "".join(record.values())  # every value is text: the common case, a CSV line
    except TypeError:
        return _typed_row(record)
    if "\x00" in joined or record.get("recording_url"):
        return None
    get = record.get
    return [(value.strip() or None) if (value := get(name)) else None for name in FIELDS]


def _typed_row(record: dict) -> list | None:
    """A JSON record's values as text where the text keeps the verdict and the words."""
    if record.get("recording_url"):
        return None
    texts = {}
    for name, value in record.items():
        if value is not None:
            text = _as_text(KINDS[name], value)
            if text is None:
                return None
            texts[name] = text.strip() or None
    return [texts.get(name) for name in FIELDS]


def _as_text(kind: str, value) -> str | None:
    """`value` as text, or None when only Python can judge it. Exact types first: this
    runs for every value of every JSON record."""
    of = type(value)
    if of is str:
        return None if "\x00" in value else value
    if of is float:
        if kind == "seconds":
            return repr(value)
        if kind == "score" and value.is_integer() and abs(value) < 10**18:
            return str(int(value))
        return None
    if of is bool:
        return ("true" if value else "false") if kind == "flag" else None
    if of is int:
        if kind == "seconds" or (kind == "flag" and value in (0, 1)):
            return str(value)
        if kind == "score" and abs(value) < 10**18:
            return str(value)
        return None
    if isinstance(value, datetime) and kind == "moment":
        # aware: its offset; naive: no offset, which SQL reports as missing
        text = value.isoformat()
        return text if records.ISO_TIME_RE.fullmatch(text) else None
    return None


def clean_row(values: dict) -> list:
    """Clean values (records.parse_contact's, already judged) as staged text."""
    row = []
    for name in FIELDS:
        value = values[name]
        if value is None or value == "":
            row.append(None)
        elif isinstance(value, str):
            row.append(value)
        elif isinstance(value, bool):
            row.append("true" if value else "false")
        elif isinstance(value, datetime):
            row.append(value.isoformat())
        else:
            row.append(repr(value))  # seconds (float) and scores (int)
    return row


def copy_rows(cursor, rows) -> None:
    """A fresh staging table holding `rows`: (line, checked, text values in FIELDS order)."""
    columns = ", ".join(_q(name) for name in FIELDS)
    typed = ", ".join(f"{_q(name)} text" for name in FIELDS)
    # Temporary: private to this connection, no WAL; emptied per batch (a test or a
    # caller may run several batches in one transaction).
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} (line integer, checked boolean, {typed})"
    )
    cursor.execute(f"TRUNCATE {STAGING}")
    with cursor.cursor.copy(f"COPY {STAGING} (line, checked, {columns}) FROM STDIN") as copy:
        for line, checked, row in rows:
            copy.write_row((line, checked, *row))


# -- 2. the rules in SQL ----------------------------------------------------------------


def _matches(t: str, pattern: str, *, ignore_case=False) -> str:
    """`t` matches the whole pattern (constants of this module and records)."""
    return f"{t} {'~*' if ignore_case else '~'} '^(?:{pattern})$'"


def _words(words) -> str:
    return ", ".join(f"'{word}'" for word in words)


def _lower(t: str) -> str:
    # Python lowers other scripts too; no contract word has a letter another script
    # lowers to, so lowering ASCII alone ("C") gives the same verdict.
    return f'lower({t} COLLATE "C")'


def _timestamptz(t: str) -> str:
    """The judged ISO time `t` (offset present) as timestamptz. PostgreSQL casts offsets
    up to 15:59 itself; the contract and Python take up to 23:59."""
    minutes = (
        f"(CASE WHEN left(right({t}, 6), 1) = '-' THEN -1 ELSE 1 END) "
        f"* (substr(right({t}, 5), 1, 2)::int * 60 + right({t}, 2)::int)"
    )
    return (
        f"(CASE WHEN right({t}, 1) = 'Z' OR substr(right({t}, 5), 1, 2) <= '15' "
        f"THEN {t}::timestamptz "
        f"ELSE (left({t}, -6)::timestamp - {minutes} * interval '1 minute') AT TIME ZONE 'UTC' END)"
    )


def _days_in_month(year: str, month: str) -> str:
    leap = f"(mod({year}, 4) = 0 AND (mod({year}, 100) <> 0 OR mod({year}, 400) = 0))"
    return (
        f"CASE WHEN {month} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
        f"WHEN {month} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    )


def _real_day(t: str) -> str:
    """`t` (an ISO date's shape) names a day its month has."""
    year, month, day = (f"substr({t}, {at}, {size})::int" for at, size in ((1, 4), (6, 2), (9, 2)))
    return f"(substr({t}, 9, 2) <= '28' OR {day} <= {_days_in_month(year, month)})"


def _plain_seconds(t: str) -> str:
    """`t` is digits with at most one point and under 10^9: valid without more ado."""
    return (
        f"(btrim({t}, '0123456789.') = '' AND {t} NOT LIKE '%%.%%.%%' AND {t} <> '.' "
        f"AND strpos({t} || '.', '.') <= 10)"
    )


def _row_fine() -> str:
    """A row certainly valid, by cheap tests; false sends it to the full rules."""
    shapes, after = [], []
    for name, rule in RULES.items():
        t = _q(name)
        kind, optional = rule.kind, not rule.required
        if kind == "text":
            test = f"octet_length({t}) <= {rule.limit()}"  # bytes >= characters
        elif kind == "choice":
            optional = rule.default is not None
            test = f"{_lower(t)} IN ({_words(rule.choices)})"
        elif kind == "flag":
            test = f"{_lower(t)} IN ({_words((*records.TRUE_WORDS, *records.FALSE_WORDS))})"
        elif kind == "score":
            test = f"{t} IN ({_words(str(n) for n in range(rule.low, rule.high + 1))})"
        elif kind == "seconds":
            test = _plain_seconds(t)
        elif kind == "moment":
            test = _matches(t, COMMON_TIME)
            after.append(f"({t} IS NULL OR ({_real_day(t)} AND {t}::timestamptz <= %(latest)s))")
        else:  # web_address: such records are judged in Python (text_row)
            test = "false"
        shapes.append(f"({t} IS NULL OR {test})" if optional else f"coalesce({test}, false)")
    direction = _lower(_q("direction"))
    shapes.append(f"({_q('queue')} IS NOT NULL OR {direction} = 'outbound')")
    for earlier, later, _code in records.TIME_ORDER:
        first, then = _q(earlier), _q(later)
        after.append(
            f"({first} IS NULL OR {then} IS NULL OR {then}::timestamptz >= {first}::timestamptz)"
        )
    # CASE: the casts run only on text whose shape was checked first
    return f"CASE WHEN {' AND '.join(shapes)} THEN {' AND '.join(after)} ELSE false END"


def _field_problem(name: str, rule: records.Rule) -> str:
    """A CASE giving the code of what is wrong with the text `name`, or NULL."""
    t = _q(name)
    missing = "'required'" if rule.required else "NULL"
    if rule.kind == "text":
        checks = [f"WHEN length({t}) > {rule.limit()} THEN 'too_long'"]
    elif rule.kind == "choice":
        missing = "NULL" if rule.default is not None else "'required'"
        checks = [f"WHEN {_lower(t)} NOT IN ({_words(rule.choices)}) THEN 'not_a_choice'"]
    elif rule.kind == "moment":
        year = f"substr({t}, 1, 4)::int"
        checks = [
            f"WHEN NOT {_matches(t, records.ISO_TIME)} THEN 'not_iso'",
            f"WHEN {year} = 0 OR NOT {_real_day(t)} THEN 'not_iso'",
            f"WHEN NOT {_matches(t, f'.*{records.ISO_OFFSET}')} THEN 'no_offset'",
            f"WHEN {year} NOT BETWEEN {records.YEARS[0]} AND {records.YEARS[1]} THEN 'year'",
            f"WHEN {_timestamptz(t)} > %(latest)s THEN 'future'",
        ]
    elif rule.kind == "seconds":
        checks = [
            f"WHEN {_plain_seconds(t)} THEN NULL",
            f"WHEN NOT {_matches(t, records.NUMBER, ignore_case=True)} THEN 'not_seconds'",
            f"WHEN {_matches(t, records.NOT_FINITE, ignore_case=True)} THEN 'not_finite'",
            f"WHEN abs({t}::numeric) >= %(infinite_from)s THEN 'not_finite'",
            f"WHEN abs({t}::numeric) <= %(zero_up_to)s THEN NULL",
            f"WHEN {t}::float8 < 0 THEN 'negative'",
            f"WHEN {t}::float8 > {MAX_DURATION_SECONDS} THEN 'too_many_seconds'",
        ]
    elif rule.kind == "flag":
        words = _words((*records.TRUE_WORDS, *records.FALSE_WORDS))
        checks = [f"WHEN {_lower(t)} NOT IN ({words}) THEN 'not_a_flag'"]
    elif rule.kind == "score":
        checks = [
            f"WHEN NOT {_matches(t, records.WHOLE_NUMBER)} THEN 'not_whole'",
            f"WHEN {t}::bigint NOT BETWEEN {rule.low} AND {rule.high} THEN 'out_of_range'",
        ]
    else:  # web_address: judged in Python before staging (text_row)
        return "NULL"
    return f"CASE WHEN {t} IS NULL THEN {missing} {' '.join(checks)} END"


def _problems_sql() -> str:
    by_field = ", ".join(
        f"{_field_problem(name, rule)} AS {_q(name)}" for name, rule in RULES.items()
    )
    fine = "coded.{0} IS NULL".format
    times = {
        name: f"CASE WHEN {fine(_q(name))} AND odd.{_q(name)} IS NOT NULL "
        f"THEN {_timestamptz(f'odd.{_q(name)}')} END"
        for name in ("arrived_at", "answered_at", "ended_at")
    }
    across = [
        f"""CASE WHEN {fine(_q("direction"))} AND {fine(_q("queue"))} AND odd.queue IS NULL
            AND (odd.direction IS NULL OR {_lower("odd.direction")} = 'inbound')
            THEN 'queue:needs_queue' END""",
        *(
            f"CASE WHEN {times[later]} < {times[earlier]} THEN '{later}:{code}' END"
            for earlier, later, code in records.TIME_ORDER
        ),
    ]
    field_codes = ", ".join(f"'{name}:' || coded.{_q(name)}" for name in FIELDS)
    # The cheap test once per row; each field's rule, then the rules across fields
    # (which need the fields' own verdicts), only for the rows it did not pass.
    return f"""
        WITH odd AS MATERIALIZED (
            SELECT * FROM {STAGING} WHERE NOT checked AND NOT ({_row_fine()})
        ),
        coded AS MATERIALIZED (SELECT line, {by_field} FROM odd),
        listed AS MATERIALIZED (
            SELECT line, array_remove(ARRAY[{field_codes}, {", ".join(across)}], NULL) AS codes
            FROM coded JOIN odd USING (line)
        )
        SELECT line, codes FROM listed WHERE codes <> '{{}}'
        UNION ALL
        SELECT line, ARRAY['source:only_source'] FROM {STAGING}
        WHERE %(only_source)s::text IS NOT NULL
            AND coalesce(source, %(default_source)s) <> %(only_source)s
            AND line NOT IN (SELECT line FROM listed WHERE codes <> '{{}}')
    """


def problems(cursor, *, default_source: str, only_source: str | None, latest: datetime):
    """(line, [field:code, ...]) of every rejected line, in line order; those lines are
    taken out of the staging table."""
    cursor.execute(
        _problems_sql() + " ORDER BY line",
        {
            "latest": latest,
            "infinite_from": FLOAT_INFINITE_FROM,
            "zero_up_to": FLOAT_ZERO_UP_TO,
            "default_source": default_source,
            "only_source": only_source,
        },
    )
    rejected = cursor.fetchall()
    if rejected:
        cursor.execute(
            f"DELETE FROM {STAGING} WHERE line = ANY(%s)", [[line for line, _ in rejected]]
        )
    return rejected


def errors(codes: list[str], record: dict, row: list, only_source: str | None) -> dict:
    """The errors of a rejected line as the Python parsers give them, from its codes,
    the record as sent and its staged text."""
    staged = dict(zip(FIELDS, row, strict=True))
    found: dict[str, list[str]] = {}
    for item in codes:
        name, _, code = item.partition(":")
        if code == "only_source":
            message = records.MESSAGES[code].format(only_source=only_source)
        else:
            message = RULES[name].message(code, record.get(name), staged[name])
        found.setdefault(name, []).append(message)
    return found


# -- 3. queues and agents ----------------------------------------------------------------

# The staged rows that will be stored: the last record of each key (the last wins), with
# the line where its key first came (a new queue takes the channel in that order, as on
# the Python path).
_LAST_OF_EACH_KEY = f"""
    WITH keyed AS (
        SELECT s.*, coalesce(s.source, %(default_source)s) AS key_source,
            max(line) OVER key AS last_line, min(line) OVER key AS first_line
        FROM {STAGING} s
        WINDOW key AS (PARTITION BY coalesce(s.source, %(default_source)s), external_id)
    ),
    last AS (SELECT * FROM keyed WHERE line = last_line)
"""


def unknown_names(cursor) -> tuple[bool, bool]:
    """Whether any staged row names a queue, an agent that does not exist: one cheap
    look before the exact questions below, which are rarely needed after a first batch."""
    cursor.execute(
        f"""SELECT
            EXISTS (SELECT FROM (SELECT DISTINCT queue FROM {STAGING}) s
                WHERE queue IS NOT NULL AND NOT EXISTS (
                    SELECT FROM {_q(Queue._meta.db_table)} WHERE name = s.queue)),
            EXISTS (SELECT FROM (SELECT DISTINCT agent FROM {STAGING}) s
                WHERE agent IS NOT NULL AND NOT EXISTS (
                    SELECT FROM {_q(Agent._meta.db_table)} WHERE login = s.agent))"""
    )
    return cursor.fetchone()


def unknown_queues(cursor, *, default_source: str) -> dict[str, str]:
    """{name: channel} of the queues the stored rows name that do not exist yet."""
    cursor.execute(
        _LAST_OF_EACH_KEY
        + f"""SELECT DISTINCT ON (last.queue) last.queue, {_lower("last.channel")}
        FROM last LEFT JOIN {_q(Queue._meta.db_table)} queue ON queue.name = last.queue
        WHERE last.queue IS NOT NULL AND queue.id IS NULL
        ORDER BY last.queue, last.first_line""",
        {"default_source": default_source},
    )
    return dict(cursor.fetchall())


def unknown_agents(cursor, *, default_source: str) -> set[str]:
    """The agent logins the stored rows name that do not exist yet."""
    cursor.execute(
        _LAST_OF_EACH_KEY
        + f"""SELECT DISTINCT last.agent
        FROM last LEFT JOIN {_q(Agent._meta.db_table)} agent ON agent.login = last.agent
        WHERE last.agent IS NOT NULL AND agent.id IS NULL""",
        {"default_source": default_source},
    )
    return {login for (login,) in cursor.fetchall()}


# -- 4. the upsert ----------------------------------------------------------------------


def _value(t: str, rule: records.Rule) -> str:
    """The judged text `t` (a column reference, NULL when missing) as the value stored."""
    if rule.kind == "choice" and rule.default is not None:
        return f"coalesce({_lower(t)}, '{rule.default}')"
    if rule.kind == "choice":
        return _lower(t)
    if rule.kind == "moment":
        return f"CASE WHEN {t} IS NOT NULL THEN {_timestamptz(t)} END"
    if rule.kind == "seconds":
        # Without an exponent and under 300 characters, float8 takes it as it is.
        return (
            f"CASE WHEN {t} IS NULL THEN 0 "
            f"WHEN {t} NOT ILIKE '%%e%%' AND length({t}) < 300 THEN {t}::float8 "
            f"WHEN abs({t}::numeric) <= %(zero_up_to)s THEN 0 ELSE {t}::float8 END"
        )
    if rule.kind == "flag":
        default = {True: "true", False: "false", None: "NULL"}[rule.default]
        return f"coalesce({_lower(t)} IN ({_words(records.TRUE_WORDS)}), {default})"
    if rule.kind == "score":
        return f"{t}::smallint"
    return f"coalesce({t}, '')"


def _upsert_sql() -> str:
    meta = Interaction._meta
    table = _q(meta.db_table)
    columns, values = [], []
    joined = {"source": "last.key_source", "queue": "queue.id", "agent": "agent.id"}
    for name in FIELDS:
        columns.append(_q(meta.get_field(name).column))
        values.append(joined.get(name) or _value(f"last.{_q(name)}", RULES[name]))
    columns += [_q(meta.get_field(name).column) for name in ("team", "created_at", "updated_at")]
    values += ["agent.team_id", "%(now)s", "%(now)s"]

    # The resend rules, also in services._upsert_contacts (SQLite's path): change both.
    def kept(name: str) -> str:
        column = _q(meta.get_field(name).column)
        if name in ("csat", "nps"):  # a resend adds or replaces answers, never erases them
            return f"coalesce(EXCLUDED.{column}, {table}.{column})"
        if name == "team":  # the team captured at first ingest, while the agent stays
            agent = _q(meta.get_field("agent").column)
            return (
                f"CASE WHEN {table}.{agent} IS NOT DISTINCT FROM EXCLUDED.{agent} "
                f"THEN {table}.{column} ELSE EXCLUDED.{column} END"
            )
        return f"EXCLUDED.{column}"

    updates = ", ".join(
        f"{_q(meta.get_field(name).column)} = {kept(name)}" for name in CONTACT_UPDATE_FIELDS
    )
    answered, agent = (_q(meta.get_field(name).column) for name in ("answered_at", "agent"))
    return (
        _LAST_OF_EACH_KEY
        + f""",
        upserted AS (
            INSERT INTO {table} ({", ".join(columns)})
            SELECT {", ".join(values)}
            FROM last
            LEFT JOIN {_q(Queue._meta.db_table)} queue ON queue.name = last.queue
            LEFT JOIN {_q(Agent._meta.db_table)} agent ON agent.login = last.agent
            -- keys in order: concurrent batches lock rows in the same order, no deadlock
            ORDER BY last.key_source, last.external_id
            ON CONFLICT (source, external_id) DO UPDATE SET {updates}
            RETURNING source, external_id, (xmax = 0) AS created,
                ({answered} IS NOT NULL AND {agent} IS NULL) AS without_agent
        )
        SELECT keyed.line, keyed.external_id, keyed.line = keyed.last_line, upserted.created,
            upserted.without_agent
        FROM keyed JOIN upserted
            ON upserted.source = keyed.key_source AND upserted.external_id = keyed.external_id
        """
    )


def upsert(cursor, *, default_source: str, now: datetime):
    """Store the staged rows; (line, external_id, is the key's last line, created,
    answered without an agent) for every staged line."""
    cursor.execute(
        _upsert_sql(),
        {"default_source": default_source, "zero_up_to": FLOAT_ZERO_UP_TO, "now": now},
    )
    return cursor.fetchall()
