"""The full rebuild: every rollup table recomputed from the raw tables at once.

On PostgreSQL the rollups of every day are built beside the live tables, in a schema of
their own (SCHEMA) holding tables of the same names: without indexes, the contact and
state statements fill them over the whole range in one statement each and the day
tables follow in one pass (the very statements of kpis.rollup.run, which write to
whichever tables the search path finds first). Then the tables are indexed as the live
ones are, analysed, and swapped in.

The new tables are logged from the start: writing 8.8M state intervals into an unlogged
table and then SET LOGGED (a second copy of the table, written to the WAL whole) took
53 s where a logged table took 37 s, measured side by side.

It all runs in one transaction holding the RollupState lock, as roll_up_days does: a
rebuild stopped anywhere (an error, a kill, a lost connection) rolls back whole and leaves
the live tables as they were, readable throughout; readers wait only for the swap at the
end. Meanwhile the minute's incremental run skips (SKIP LOCKED) and other rolls wait;
the fill states do not move, so the next incremental run rolls what changed meanwhile.

The swap drops the live tables and moves the new ones in under the same names, indexes
and constraints: the rebuild runs as the role that owns the rollup tables (the one that
migrates), and grants given to other roles on them are not carried over (grant on the
schema's future tables instead). A statement waiting for the swap reads the new tables;
a REPEATABLE READ transaction begun before it would read them empty (Django's default,
READ COMMITTED, takes a new snapshot per statement).

SQLite keeps its one-day-at-a-time path with the same results (kpis.rollup.run), in one
transaction too.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from core.localtime import local_days
from kpis.models import (
    AgentDay,
    ContactDay,
    ContactHour,
    ContactInterval,
    RollupState,
    StateInterval,
)
from kpis.rollup.dialect import Dialect
from kpis.rollup.run import _day_params, roll_up_days
from kpis.rollup.statements import contact_interval_statement, day_statements, set_local
from kpis.rollup.states import state_interval_statement

TABLES = (ContactInterval, StateInterval, ContactDay, AgentDay, ContactHour)
# The swap waits for readers of the live tables this long per try, and tries this often.
SWAP_LOCK_WAIT, SWAP_LOCK_TRIES = "5s", 12
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout
# Where the new tables are built (dropped again before the transaction ends).
SCHEMA = "kpis_rebuild"
# Index builds over the whole history sorted in memory. Measured at 1M contacts and 8.8M
# state intervals: the day tables' hash tables in memory (work_mem) saved a fifth of
# their statement; the contact statement gained nothing from it nor from JIT off, and
# the state statement took 1.6-2x as long with both (so those run as the server says).
REBUILD_SETTINGS = {"maintenance_work_mem": "512MB"}
DAY_TABLES_SETTINGS = {"work_mem": "256MB"}
# The phases on PostgreSQL, in order (the command's progress).
PHASES = ("contact intervals", "state intervals", "day tables", "indexed", "swapped")


def phases(first: date, last: date) -> tuple[str, ...]:
    """What rebuild() reports as it goes: its phases on PostgreSQL, its days on SQLite."""
    if connection.vendor == "postgresql":
        return PHASES
    return tuple((first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1))


def rebuild(
    first: date,
    last: date,
    *,
    now: datetime | None = None,
    done: Callable[[str], None] = lambda phase: None,
) -> int:
    """Replace every rollup with those of the local days first..last: afterwards the
    rollup tables hold these days' rows and nothing else (give every day that has data,
    or that has rollups stored). Calls `done` with each phase (phases()) as it finishes;
    returns the number of days rolled. Agent states are cut at `now`, as roll_up_days
    cuts them."""
    now = now or timezone.now()
    RollupState.objects.get_or_create(pk=1)
    if connection.vendor == "postgresql":
        _rebuild_postgres(first, last, now, done)
    else:
        _rebuild_day_by_day(first, last, now, done)
    return (last - first).days + 1


def _rebuild_day_by_day(first, last, now, done):
    with transaction.atomic():
        for model in TABLES:
            model.objects.all().delete()
        for day in phases(first, last):
            roll_up_days([date.fromisoformat(day)], now=now)
            done(day)


def _rebuild_postgres(first, last, now, done):
    dialect = Dialect(connection.vendor)
    start, end = local_days(first, (last - first).days + 1)
    # The parameters roll_up_days gives a run of days, for the whole range.
    params = _day_params(first, last, now)
    names = [model._meta.db_table for model in TABLES]
    with transaction.atomic(), connection.cursor() as cursor:
        list(RollupState.objects.select_for_update().filter(pk=1))
        set_local(cursor, REBUILD_SETTINGS)
        cursor.execute("SELECT current_schema(), current_setting('search_path')")
        home, search_path = cursor.fetchone()
        live = {name: _qualified(home, name) for name in names}
        new = {name: _qualified(SCHEMA, name) for name in names}
        cursor.execute(f"CREATE SCHEMA {SCHEMA}")
        for name in names:
            # Columns, NOT NULL, identity (a sequence of its own) and checks; no indexes.
            cursor.execute(
                f"CREATE TABLE {new[name]} (LIKE {live[name]} INCLUDING ALL EXCLUDING INDEXES)"
            )
        # The rollup's own statements name the tables unqualified: with SCHEMA first in
        # the search path they write to the new tables and read the raw ones.
        set_local(cursor, {"search_path": f"{SCHEMA}, {search_path}"})
        cursor.execute(*contact_interval_statement(start, end))
        done(PHASES[0])
        cursor.execute(state_interval_statement(dialect), params)
        done(PHASES[1])
        set_local(cursor, DAY_TABLES_SETTINGS)
        for statement in day_statements(dialect):
            cursor.execute(statement, params)
        done(PHASES[2])
        set_local(cursor, {"search_path": search_path})
        for name in names:
            for statement in _index_statements(cursor, home, name):
                cursor.execute(statement)
            cursor.execute(f"ANALYZE {new[name]}")
        done(PHASES[3])
        _lock(cursor, live.values())
        for name in names:
            cursor.execute(f"DROP TABLE {live[name]}")
            cursor.execute(f"ALTER TABLE {new[name]} SET SCHEMA {connection.ops.quote_name(home)}")
        cursor.execute(f"DROP SCHEMA {SCHEMA}")
        done(PHASES[4])


def _lock(cursor, tables) -> None:
    """Take the live tables for the swap, all in one statement (never one by one behind
    a long reader, with every page queueing behind the first drop), waiting at most
    SWAP_LOCK_WAIT each try, in a savepoint: a try that times out loses only its wait."""
    for attempt in range(1, SWAP_LOCK_TRIES + 1):
        try:
            with transaction.atomic():
                set_local(cursor, {"lock_timeout": SWAP_LOCK_WAIT})
                cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
            return
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            if attempt == SWAP_LOCK_TRIES:
                raise


def _qualified(schema: str, name: str) -> str:
    return f"{connection.ops.quote_name(schema)}.{connection.ops.quote_name(name)}"


def _index_statements(cursor, home: str, name: str) -> list[str]:
    """The live table's primary key and indexes, as statements creating them on the new
    table under the same names (free in SCHEMA; the live ones go with their table)."""
    cursor.execute(
        "SELECT format('ALTER TABLE %%I.%%I ADD CONSTRAINT %%I %%s', %s, c.relname, k.conname, "
        "pg_get_constraintdef(k.oid)) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND k.contype IN ('p', 'u')",
        [SCHEMA, home, name],
    )
    constraints = [row[0] for row in cursor.fetchall()]
    # pg_get_indexdef names the table qualified: "CREATE INDEX i ON home.t USING ...".
    cursor.execute(
        "SELECT replace(pg_get_indexdef(i.indexrelid), format(' ON %%I.%%I ', n.nspname, c.relname), "
        "format(' ON %%I.%%I ', %s, c.relname)) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND NOT EXISTS "
        "(SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = c.oid)",
        [SCHEMA, home, name],
    )
    return [*constraints, *(row[0] for row in cursor.fetchall())]
