"""The few SQL expressions that differ between PostgreSQL and SQLite.

Everything the rollup statements need to run on both databases lives here, so the
statements themselves read as one SQL each.
"""

from django.db import connection
from django.db.models import DateTimeField, Func


def table(model) -> str:
    """A model's table name, quoted for the running database."""
    return connection.ops.quote_name(model._meta.db_table)


class Dialect:
    """The few SQL expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str):
        self.postgres = vendor == "postgresql"

    def epoch(self, column: str) -> str:
        if self.postgres:
            return f"extract(epoch from {column})"
        return f"round((julianday({column}) - 2440587.5) * 86400.0, 3)"

    def from_epoch(self, expression: str) -> str:
        if self.postgres:
            return f"to_timestamp({expression})"
        return f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', {expression}, 'unixepoch')"

    def least(self, *values: str) -> str:
        return f"{'LEAST' if self.postgres else 'MIN'}({', '.join(values)})"

    def greatest(self, *values: str) -> str:
        return f"{'GREATEST' if self.postgres else 'MAX'}({', '.join(values)})"

    def local_day(self) -> str:
        """The local day of an interval: PostgreSQL converts in SQL, so a run of days is one
        statement; SQLite knows no time zones and rolls one day at a time (the day a
        parameter)."""
        return "(interval_start AT TIME ZONE %(zone)s)::date" if self.postgres else "%(day)s"

    def local_hour(self) -> str:
        """The local hour (0-23) of an interval. SQLite knows no time zones: it is given
        the UTC offset of the one day it rolls, before and from the moment a daylight-saving
        change shifts it (kpis.rollup.run.sqlite_offsets)."""
        if self.postgres:
            return "extract(hour from interval_start AT TIME ZONE %(zone)s)::smallint"
        return (
            "CAST(strftime('%%H', interval_start, CASE WHEN interval_start < %(shift_at)s "
            "THEN %(offset_before)s ELSE %(offset_after)s END) AS INTEGER)"
        )


class Bucket(Func):
    """The 15-minute UTC interval a datetime falls in."""

    arity = 1
    output_field = DateTimeField()
    template = "to_timestamp(floor(extract(epoch from %(expressions)s) / 900) * 900)"

    def as_sqlite(self, compiler, connection, **extra):
        template = (
            "strftime('%%%%Y-%%%%m-%%%%d %%%%H:%%%%M:%%%%S', "
            "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 900) * 900, 'unixepoch')"
        )
        return super().as_sql(compiler, connection, template=template, **extra)
