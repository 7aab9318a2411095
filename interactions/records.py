"""Reading one incoming record: the field rules of ../shared/spec/contacts.md.

Every path (API, CSV, queue_log, format adapters) hands raw values here: JSON types or
the strings of a CSV cell alike. Each parser returns clean values plus, per field, what
was wrong, so a batch can keep its good records and name the bad ones precisely.
"""

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

from agents.models import AgentState
from interactions.models import (
    MAX_DURATION_SECONDS,
    RECORDING_URL_MAX_LENGTH,
    RECORDING_URL_SCHEMES,
    Channel,
    Direction,
    transcript_max_chars,
    validate_recording_url,
)

MAX_TEXT = 255
# How far ahead of the server's clock a time may lie: a PBX's clock drifts by seconds or
# minutes, never by days; a contact "arriving" next year is a bad record, not a forecast.
# settings.INGEST_FUTURE_HORIZON_HOURS, one day by default.
DEFAULT_FUTURE_HORIZON_HOURS = 24


def future_horizon() -> timedelta:
    return timedelta(
        hours=getattr(settings, "INGEST_FUTURE_HORIZON_HOURS", DEFAULT_FUTURE_HORIZON_HOURS)
    )


TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}

CONTACT_FIELDS = (
    "external_id",
    "source",
    "channel",
    "direction",
    "queue",
    "agent",
    "customer",
    "arrived_at",
    "answered_at",
    "ended_at",
    "talk_seconds",
    "hold_seconds",
    "wrap_seconds",
    "transferred",
    "resolved",
    "callback_requested",
    "topic",
    "csat",
    "nps",
    "recording_url",
    "transcript",
)


class FieldError(ValueError):
    pass


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def text(value, *, required=False, max_length=MAX_TEXT) -> str:
    if _missing(value):
        if required:
            raise FieldError("This field is required.")
        return ""
    if not isinstance(value, str):
        raise FieldError(f"Expected text (got {type(value).__name__}).")
    value = value.strip()
    if "\x00" in value:
        raise FieldError("Text may not contain NUL characters.")
    if len(value) > max_length:
        raise FieldError(f"At most {max_length} characters (got {len(value)}).")
    return value


def web_address(value) -> str:
    """An http:// or https:// address (a recording's); empty means none. Never fetched."""
    value = text(value, max_length=RECORDING_URL_MAX_LENGTH)
    if not value:
        return value
    scheme = value.partition(":")[0].lower() if ":" in value else ""
    if scheme not in RECORDING_URL_SCHEMES:
        got = f"a {scheme}: address" if scheme else repr(value[:80])
        raise FieldError(f"Only http:// and https:// addresses are accepted (got {got}).")
    try:
        validate_recording_url(value)
    except ValidationError:
        raise FieldError(f"Not a valid web address (got {value[:80]!r}).") from None
    return value


def choice(value, choices, *, default=None) -> str:
    if _missing(value):
        if default is None:
            raise FieldError("This field is required.")
        return default
    if not isinstance(value, str) or value.strip().lower() not in choices:
        raise FieldError(f"Must be one of: {', '.join(choices)} (got {value!r}).")
    return value.strip().lower()


def moment(value, *, required=False) -> datetime | None:
    """An ISO 8601 time with its UTC offset, from the year 1900 to at most the future
    horizon (a day) ahead of now."""
    if _missing(value):
        if required:
            raise FieldError("This field is required.")
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise FieldError(
                f"Not an ISO 8601 time (got {value!r}); e.g. 2026-03-01T09:30:00+01:00."
            ) from None
    else:
        raise FieldError("Expected an ISO 8601 time as text.")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise FieldError("The time needs its UTC offset, e.g. +00:00 or Z.")
    if not 1900 <= parsed.year <= 2999:
        raise FieldError("The year must lie between 1900 and 2999.")
    # Stored in UTC: databases refuse some offsets Python accepts (up to ±23:59).
    parsed = parsed.astimezone(UTC)
    horizon = future_horizon()
    if parsed > datetime.now(UTC) + horizon:
        hours = horizon.total_seconds() / 3600
        raise FieldError(f"More than {hours:g} hours in the future: check the sender's clock.")
    return parsed


def seconds(value) -> float:
    """A finite duration in seconds, 0 to 10^9; empty means 0."""
    if _missing(value):
        return 0.0
    if isinstance(value, bool):
        raise FieldError("Expected a number of seconds.")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)  # accepts surrounding spaces; "inf"/"nan" fail below
        except ValueError:
            raise FieldError(f"Expected a number of seconds (got {value!r}).") from None
    else:
        raise FieldError("Expected a number of seconds.")
    if not math.isfinite(number):
        raise FieldError("The number must be finite.")
    if number < 0:
        raise FieldError("Must be 0 or more.")
    if number > MAX_DURATION_SECONDS:
        raise FieldError(f"At most {MAX_DURATION_SECONDS:,} seconds.")
    return number


def flag(value, *, default: bool | None) -> bool | None:
    """A boolean; empty gives the default (None: unknown)."""
    if _missing(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str | int) and str(value).strip().lower() in TRUE_WORDS:
        return True
    if isinstance(value, str | int) and str(value).strip().lower() in FALSE_WORDS:
        return False
    raise FieldError(f"Expected true or false (got {value!r}).")


def score(value, low: int, high: int) -> int | None:
    if _missing(value):
        return None
    if isinstance(value, bool):
        raise FieldError(f"Expected a whole number from {low} to {high}.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise FieldError(f"Expected a whole number from {low} to {high} (got {value!r}).")
    if not low <= value <= high:
        raise FieldError(f"Must be from {low} to {high} (got {value}).")
    return value


def _collect(raw: dict, parsers: dict) -> tuple[dict, dict[str, list[str]]]:
    values, errors = {}, {}
    for name, parse in parsers.items():
        try:
            values[name] = parse(raw.get(name))
        except FieldError as error:
            errors[name] = [str(error)]
    unknown = sorted(str(key) for key in raw if key not in parsers)
    if unknown:
        errors["non_field_errors"] = [f"Unknown field(s): {', '.join(unknown)}."]
    return values, errors


CHANNELS = tuple(Channel.values)
DIRECTIONS = tuple(Direction.values)
AGENT_STATES = tuple(AgentState.values)

# One parser per contact field, built once (this runs for every record of every import).
CONTACT_PARSERS = {
    "external_id": lambda v: text(v, required=True, max_length=128),
    "source": lambda v: text(v, max_length=64),
    "channel": lambda v: choice(v, CHANNELS),
    "direction": lambda v: choice(v, DIRECTIONS, default=Direction.INBOUND.value),
    "queue": text,
    "agent": text,
    "customer": text,
    "arrived_at": lambda v: moment(v, required=True),
    "answered_at": moment,
    "ended_at": moment,
    "talk_seconds": seconds,
    "hold_seconds": seconds,
    "wrap_seconds": seconds,
    "transferred": lambda v: flag(v, default=False),
    "resolved": lambda v: flag(v, default=None),
    "callback_requested": lambda v: flag(v, default=False),
    "topic": text,
    "csat": lambda v: score(v, 1, 5),
    "nps": lambda v: score(v, 0, 10),
    "recording_url": web_address,
    "transcript": lambda v: text(v, max_length=transcript_max_chars()),
}
assert tuple(CONTACT_PARSERS) == CONTACT_FIELDS


def parse_contact(raw, *, default_source: str) -> tuple[dict, dict[str, list[str]]]:
    """Clean values of one contact record, and the errors per field (empty when valid)."""
    if not isinstance(raw, dict):
        return {}, {"non_field_errors": ["Expected an object with the contact's fields."]}
    values, errors = _collect(raw, CONTACT_PARSERS)
    if "source" in values and not values["source"]:
        values["source"] = default_source
    if values.get("direction") == Direction.INBOUND and "queue" in values and not values["queue"]:
        errors.setdefault("queue", []).append("An inbound contact needs its queue.")
    arrived, answered, ended = (values.get(f) for f in ("arrived_at", "answered_at", "ended_at"))
    if arrived and answered and answered < arrived:
        errors.setdefault("answered_at", []).append("Answered before it arrived.")
    if arrived and ended and ended < arrived:
        errors.setdefault("ended_at", []).append("Ended before it arrived.")
    if answered and ended and ended < answered:
        errors.setdefault("ended_at", []).append("Ended before it was answered.")
    return values, errors


def parse_survey(raw, *, default_source: str) -> tuple[dict, dict[str, list[str]]]:
    if not isinstance(raw, dict):
        return {}, {"non_field_errors": ["Expected an object with the survey's fields."]}
    values, errors = _collect(
        raw,
        {
            "source": lambda v: text(v, max_length=64) or default_source,
            "external_id": lambda v: text(v, required=True, max_length=128),
            "csat": lambda v: score(v, 1, 5),
            "nps": lambda v: score(v, 0, 10),
            "comment": lambda v: text(v, max_length=10_000),
            "answered_at": moment,
        },
    )
    if not errors and values["csat"] is None and values["nps"] is None:
        errors["non_field_errors"] = ["A survey needs a csat or an nps answer."]
    return values, errors


def parse_agent_event(raw) -> tuple[dict, dict[str, list[str]]]:
    if not isinstance(raw, dict):
        return {}, {"non_field_errors": ["Expected an object with agent, state and at."]}
    return _collect(
        raw,
        {
            "agent": lambda v: text(v, required=True),
            "state": lambda v: choice(v, AGENT_STATES),
            "at": lambda v: moment(v, required=True),
        },
    )
