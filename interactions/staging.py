"""Set-based contact ingest on PostgreSQL: a batch is COPied into a staging table, judged
by the contract's rules in SQL, joined to its queues and agents, and upserted in one
statement.

1. `copy_rows`: each record goes as text into a TEMP table, one row per record, `line`
   its place in the batch. `text_row` turns a record's values into that text; a record
   it cannot turn (a JSON type the field does not take as text, a NUL character, which
   PostgreSQL's text cannot hold, a recording address, which Django's URLValidator
   judges) is judged in Python by records.parse_contact instead: rejected there, or
   staged with its clean values and `checked` so SQL does not judge it again.
2. `problems`: one SELECT applies every field's rule (records.CONTACT_RULES, the patterns
   and limits there) and the rules across fields to the unchecked rows and returns the
   rejected lines with their problem codes; records.Rule.message words them exactly as
   the Python parsers word them.
3. `unknown_queues` / `unknown_agents`: the names to create (services does, as on every
   path).
4. `upsert`: INSERT ... SELECT with the casts and the joins, ON CONFLICT DO UPDATE,
   RETURNING (xmax = 0): whether each row was created or updated, as the database did it.

Identifiers come from the models and records' field names; every value is a bound
parameter.
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


def _timestamptz(t: str) -> str:
    """The judged ISO time `t` (offset present) as timestamptz. Not t::timestamptz:
    PostgreSQL refuses offsets beyond 15:59, Python and the contract accept up to 23:59."""
    offset = (
        f"CASE WHEN right({t}, 1) = 'Z' THEN 0 "
        f"ELSE (CASE WHEN left(right({t}, 6), 1) = '-' THEN -1 ELSE 1 END) "
        f"* (substr(right({t}, 5), 1, 2)::int * 60 + right({t}, 2)::int) END"
    )
    local = f"(CASE WHEN right({t}, 1) = 'Z' THEN left({t}, -1) ELSE left({t}, -6) END)"
    return f"(({local}::timestamp - ({offset}) * interval '1 minute') AT TIME ZONE 'UTC')"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


# -- 1. records to text ---------------------------------------------------------------


def text_row(record) -> list | None:
    """The record's values as the text SQL judges, in FIELDS order; None when the record
    must be judged in Python (see the module's docstring)."""
    if not isinstance(record, dict) or not _FIELD_SET.issuperset(record):
        return None
    values = record.values()
    try:
        joined = "".join(values)  # every value is text: the common case, a CSV line
    except TypeError:
        return _typed_row(record)
    if "\x00" in joined or record.get("recording_url"):
        return None
    return [record.get(name) for name in FIELDS]


def _typed_row(record: dict) -> list | None:
    """A JSON record's values as text where the text keeps the verdict and the words."""
    if record.get("recording_url"):
        return None
    row = []
    for name in FIELDS:
        value = record.get(name)
        if value is not None:
            value = _as_text(RULES[name].kind, value)
            if value is None:
                return None
        row.append(value)
    return row


def _as_text(kind: str, value) -> str | None:
    if isinstance(value, str):
        return None if "\x00" in value else value
    if isinstance(value, bool):
        return ("true" if value else "false") if kind == "flag" else None
    if isinstance(value, int):
        if kind == "seconds" or (kind == "flag" and value in (0, 1)):
            return str(value)
        if kind == "score" and abs(value) < 10**18:
            return str(value)
        return None
    if isinstance(value, float):
        if kind == "seconds":
            return repr(value)
        if kind == "score" and value.is_integer() and abs(value) < 10**18:
            return str(int(value))
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
        if value is None or isinstance(value, str):
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


def _matches(pattern: str, *, ignore_case=False) -> str:
    """A SQL literal of the whole-text pattern (constants of records, no user input)."""
    operator = "~*" if ignore_case else "~"
    return f"{operator} '^(?:{pattern})$'"


def _words(words) -> str:
    return ", ".join(f"'{word}'" for word in words)


def _field_problem(name: str, rule: records.Rule) -> str:
    """A CASE giving the code of what is wrong with the stripped text `name`, or NULL."""
    t = _q(name)
    missing = "'required'" if rule.required else "NULL"
    if rule.kind == "text":
        checks = [f"WHEN length({t}) > {rule.limit()} THEN 'too_long'"]
    elif rule.kind == "choice":
        missing = "NULL" if rule.default is not None else "'required'"
        checks = [
            f"""WHEN lower({t} COLLATE "C") NOT IN ({_words(rule.choices)}) THEN 'not_a_choice'"""
        ]
    elif rule.kind == "moment":
        year, month, day = (
            f"substr({t}, {start}, {size})::int" for start, size in ((1, 4), (6, 2), (9, 2))
        )
        checks = [
            f"WHEN {t} !{_matches(records.ISO_TIME)} THEN 'not_iso'",
            f"WHEN {year} = 0 THEN 'not_iso'",
            f"WHEN {day} > extract(day FROM make_date({year}, {month}, 1)"
            " + interval '1 month - 1 day') THEN 'not_iso'",
            f"WHEN {t} !~ '(?:{records.ISO_OFFSET})$' THEN 'no_offset'",
            f"WHEN {year} NOT BETWEEN {records.YEARS[0]} AND {records.YEARS[1]} THEN 'year'",
            f"WHEN {_timestamptz(t)} > %(latest)s THEN 'future'",
        ]
    elif rule.kind == "seconds":
        missing = "NULL"
        checks = [
            f"WHEN {t} !{_matches(records.NUMBER, ignore_case=True)} THEN 'not_seconds'",
            f"WHEN {t} {_matches(records.NOT_FINITE, ignore_case=True)} THEN 'not_finite'",
            f"WHEN abs({t}::numeric) >= %(infinite_from)s THEN 'not_finite'",
            f"WHEN abs({t}::numeric) <= %(zero_up_to)s THEN NULL",
            f"WHEN {t}::float8 < 0 THEN 'negative'",
            f"WHEN {t}::float8 > {MAX_DURATION_SECONDS} THEN 'too_many_seconds'",
        ]
    elif rule.kind == "flag":
        words = _words((*records.TRUE_WORDS, *records.FALSE_WORDS))
        checks = [f"""WHEN lower({t} COLLATE "C") NOT IN ({words}) THEN 'not_a_flag'"""]
    elif rule.kind == "score":
        checks = [
            f"WHEN {t} !{_matches(records.WHOLE_NUMBER)} THEN 'not_whole'",
            f"WHEN {t}::bigint NOT BETWEEN {rule.low} AND {rule.high} THEN 'out_of_range'",
        ]
    else:  # web_address: judged in Python before staging (text_row)
        return "NULL"
    return f"CASE WHEN {t} = '' THEN {missing} {' '.join(checks)} END"


def _stripped(where: str = "") -> str:
    """The staged rows with every value stripped as str.strip() strips ('' for none)."""
    columns = ", ".join(
        f"coalesce(btrim({_q(name)}, %(whitespace)s), '') AS {_q(name)}" for name in FIELDS
    )
    return f"SELECT line, {columns} FROM {STAGING} {where}"


def _value(t: str, rule: records.Rule) -> str:
    """The stripped, judged text `t` (a column reference) as the value the column stores."""
    if rule.kind == "choice":
        default = f"'{rule.default}'" if rule.default is not None else "NULL"
        return f"""CASE WHEN {t} = '' THEN {default} ELSE lower({t} COLLATE "C") END"""
    if rule.kind == "moment":
        return f"CASE WHEN {t} <> '' THEN {_timestamptz(t)} END"
    if rule.kind == "seconds":
        return (
            f"CASE WHEN {t} = '' OR abs({t}::numeric) <= %(zero_up_to)s THEN 0 ELSE {t}::float8 END"
        )
    if rule.kind == "flag":
        default = {True: "true", False: "false", None: "NULL"}[rule.default]
        truth = f"""lower({t} COLLATE "C") IN ({_words(records.TRUE_WORDS)})"""
        return f"CASE WHEN {t} = '' THEN {default} ELSE {truth} END"
    if rule.kind == "score":
        return f"nullif({t}, '')::smallint"
    return t


def _problems_sql() -> str:
    fine = "coded.{0} IS NULL".format
    times = {
        name: f"CASE WHEN {fine(_q(name))} AND s.{_q(name)} <> '' "
        f"THEN {_timestamptz(f's.{_q(name)}')} END"
        for name in ("arrived_at", "answered_at", "ended_at")
    }
    across = [
        # needs_queue: a (valid) inbound direction and an empty, valid queue
        f"""CASE WHEN {fine(_q("direction"))} AND {fine(_q("queue"))} AND s.queue = ''
            AND (s.direction = '' OR lower(s.direction COLLATE "C") = 'inbound')
            THEN 'queue:needs_queue' END""",
        *(
            f"CASE WHEN {times[later]} < {times[earlier]} THEN '{later}:{code}' END"
            for earlier, later, code in records.TIME_ORDER
        ),
    ]
    by_field = ", ".join(
        f"{_field_problem(name, rule)} AS {_q(name)}" for name, rule in RULES.items()
    )
    field_codes = ", ".join(f"'{name}:' || coded.{_q(name)}" for name in FIELDS)
    source = "coalesce(nullif(s.source, ''), %(default_source)s)"
    # Each level once per row: the stripped text, then each field's code, then the
    # codes across fields, which need the fields' own verdicts.
    return f"""
        WITH s AS MATERIALIZED ({_stripped("WHERE NOT checked")}),
        coded AS MATERIALIZED (SELECT line, {by_field} FROM s),
        listed AS MATERIALIZED (
            SELECT coded.line, {source} AS source,
                array_remove(ARRAY[{field_codes}, {", ".join(across)}], NULL) AS codes
            FROM coded JOIN s USING (line)
        )
        SELECT line, CASE WHEN codes = '{{}}' THEN ARRAY['source:only_source'] ELSE codes END
        FROM listed
        WHERE codes <> '{{}}' OR (%(only_source)s::text IS NOT NULL AND source <> %(only_source)s)
    """


def problems(cursor, *, default_source: str, only_source: str | None, latest: datetime):
    """(line, {field: [messages]}, the raw external_id) of every rejected unchecked line,
    in line order."""
    cursor.execute(
        _problems_sql() + " ORDER BY line",
        {
            "whitespace": records.WHITESPACE,
            "latest": latest,
            "infinite_from": FLOAT_INFINITE_FROM,
            "zero_up_to": FLOAT_ZERO_UP_TO,
            "default_source": default_source,
            "only_source": only_source,
        },
    )
    rejected = cursor.fetchall()
    if not rejected:
        return []
    lines = [line for line, _codes in rejected]
    columns = ", ".join(_q(name) for name in FIELDS)
    cursor.execute(
        f"SELECT line, {columns} FROM {STAGING} WHERE line = ANY(%s)",
        [lines],
    )
    raw = {row[0]: dict(zip(FIELDS, row[1:], strict=True)) for row in cursor.fetchall()}
    cursor.execute(f"DELETE FROM {STAGING} WHERE line = ANY(%s)", [lines])
    found = []
    for line, codes in rejected:
        errors: dict[str, list[str]] = {}
        for item in codes:
            name, _, code = item.partition(":")
            if code == "only_source":
                message = records.MESSAGES[code].format(only_source=only_source)
            else:
                message = RULES[name].message(code, raw[line][name])
            errors.setdefault(name, []).append(message)
        found.append((line, errors, raw[line]))
    return found


# -- 3. queues and agents ----------------------------------------------------------------

# The staged rows that will be stored: the last record of each key (the last wins), with
# the line where its key first came (the queue's channel follows that order, as on the
# Python path).
_LAST_OF_EACH_KEY = """
    WITH s AS MATERIALIZED ({stripped}),
    keyed AS (
        SELECT s.*, coalesce(nullif(s.source, ''), %(default_source)s) AS key_source,
            max(line) OVER key AS last_line, min(line) OVER key AS first_line
        FROM s
        WINDOW key AS (PARTITION BY coalesce(nullif(s.source, ''), %(default_source)s), external_id)
    ),
    last AS (SELECT * FROM keyed WHERE line = last_line)
"""


def _last_of_each_key() -> str:
    return _LAST_OF_EACH_KEY.format(stripped=_stripped())


def unknown_queues(cursor, *, default_source: str) -> dict[str, str]:
    """{name: channel} of the queues the staged rows name that do not exist yet."""
    cursor.execute(
        _last_of_each_key()
        + f"""SELECT DISTINCT ON (last.queue) last.queue, lower(last.channel COLLATE "C")
        FROM last LEFT JOIN {_q(Queue._meta.db_table)} queue ON queue.name = last.queue
        WHERE last.queue <> '' AND queue.id IS NULL
        ORDER BY last.queue, last.first_line""",
        {"whitespace": records.WHITESPACE, "default_source": default_source},
    )
    return dict(cursor.fetchall())


def unknown_agents(cursor, *, default_source: str) -> set[str]:
    """The agent logins the staged rows name that do not exist yet."""
    cursor.execute(
        _last_of_each_key()
        + f"""SELECT DISTINCT last.agent
        FROM last LEFT JOIN {_q(Agent._meta.db_table)} agent ON agent.login = last.agent
        WHERE last.agent <> '' AND agent.id IS NULL""",
        {"whitespace": records.WHITESPACE, "default_source": default_source},
    )
    return {login for (login,) in cursor.fetchall()}


# -- 4. the upsert ----------------------------------------------------------------------


def _upsert_sql() -> str:
    meta = Interaction._meta
    table = _q(meta.db_table)
    columns, values = [], []
    for name in FIELDS:
        columns.append(_q(meta.get_field(name).column))
        if name == "source":
            values.append("last.key_source")
        elif name == "queue":
            values.append("queue.id")
        elif name == "agent":
            values.append("agent.id")
        else:
            values.append(_value(f"last.{_q(name)}", RULES[name]))
    columns += [_q(meta.get_field(name).column) for name in ("team", "created_at", "updated_at")]
    values += ["agent.team_id", "%(now)s", "%(now)s"]

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
        _last_of_each_key()
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
        {
            "whitespace": records.WHITESPACE,
            "default_source": default_source,
            "zero_up_to": FLOAT_ZERO_UP_TO,
            "now": now,
        },
    )
    return cursor.fetchall()
