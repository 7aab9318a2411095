"""Local days of the contact center, one helper each.

Days, weeks and "today" are those of the center's zone (settings.TIME_ZONE), whatever zone
a request runs in. A local day is 23 or 25 hours long at DST changes, so a day's bounds
are always two local midnights, never a midnight plus 24 hours.
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def zone():
    """The contact center's time zone (TIME_ZONE)."""
    return timezone.get_default_timezone()


def at_local(day: date, clock: time) -> datetime:
    """The aware instant of a local wall-clock time on a local day."""
    return datetime.combine(day, clock, tzinfo=zone())


def local_midnight(day: date) -> datetime:
    """Local midnight at the start of `day`, aware in the center's zone."""
    return at_local(day, time.min)


def local_days(first_day: date, days: int = 1) -> tuple[datetime, datetime]:
    """The bounds of `days` local days from `first_day`: local midnight of `first_day`
    and of `days` days later (a day is 23 or 25 hours long at DST changes)."""
    return local_midnight(first_day), local_midnight(first_day + timedelta(days=days))


def local_today(now: datetime | None = None) -> date:
    """The center's local date now (or at the aware moment `now`)."""
    return timezone.localdate(now, zone())


def monday_of(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())
