"""Reading one incoming record: the field rules of ../shared/spec/contacts.md.

Every path (API, CSV, queue_log, format adapters) hands raw values here: JSON types or
the strings of a CSV cell alike. Each parser returns clean values plus, per field, what
was wrong, so a batch can keep its good records and name the bad ones precisely.

On PostgreSQL the contact rules also run in SQL over a staging table
(interactions/staging.py). Both read the rules from here: each field's `Rule`, the text
patterns of a time, a number and a whole number, and the words of each problem
(`MESSAGES`), so a line gets the same verdict and the same words on every path.
"""

import math
import re
import sys
from dataclasses import dataclass
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


TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f")

# What str.strip() removes: SQL's btrim() is given the same characters.
WHITESPACE = "".join(char for char in map(chr, range(sys.maxunicode + 1)) if char.isspace())

# The text forms of a time, a number of seconds and a whole number, written in the
# syntax Python's `re` and PostgreSQL's regular expressions share ([0-9], not \d, which
# matches other scripts' digits in Python). A time is ISO 8601 (an offset is checked
# apart, to say that it is missing); datetime.fromisoformat reads more forms, which are
# refused so that SQL can read every accepted one.
ISO_OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
ISO_TIME = (
    "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    f"(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{{1,6}})?)?{ISO_OFFSET}?)?"
)
# A decimal number; the exponent's three digits keep it within PostgreSQL's numeric.
NUMBER = "[+-]?(?:[0-9]+(?:[.][0-9]*)?|[.][0-9]+)(?:e[+-]?[0-9]{1,3})?|[+-]?(?:nan|inf|infinity)"
NOT_FINITE = "[+-]?(?:nan|inf|infinity)"  # NUMBER and NOT_FINITE ignore case
WHOLE_NUMBER = "-?[0-9]{1,18}"

ISO_TIME_RE = re.compile(ISO_TIME)
_NUMBER = re.compile(NUMBER, re.IGNORECASE)
_WHOLE_NUMBER = re.compile(WHOLE_NUMBER)

# The words of each problem a field can have, by code. The parsers below raise them and
# interactions/staging.py renders the codes its SQL reports with `message`.
MESSAGES = {
    "required": "This field is required.",
    "not_text": "Expected text (got {type}).",
    "nul": "Text may not contain NUL characters.",
    "too_long": "At most {limit} characters (got {length}).",
    "not_a_choice": "Must be one of: {choices} (got {value!r}).",
    "not_iso": "Not an ISO 8601 time (got {value!r}); e.g. 2026-03-01T09:30:00+01:00.",
    "time_not_text": "Expected an ISO 8601 time as text.",
    "no_offset": "The time needs its UTC offset, e.g. +00:00 or Z.",
    "year": "The year must lie between 1900 and 2999.",
    "future": "More than {hours:g} hours in the future: check the sender's clock.",
    "not_seconds": "Expected a number of seconds (got {value!r}).",
    "seconds_not_number": "Expected a number of seconds.",
    "not_finite": "The number must be finite.",
    "negative": "Must be 0 or more.",
    "too_many_seconds": f"At most {MAX_DURATION_SECONDS:,} seconds.",
    "not_a_flag": "Expected true or false (got {value!r}).",
    "not_whole": "Expected a whole number from {low} to {high} (got {value!r}).",
    "whole_not_number": "Expected a whole number from {low} to {high}.",
    "out_of_range": "Must be from {low} to {high} (got {number}).",
    # across fields
    "needs_queue": "An inbound contact needs its queue.",
    "answered_before_arrival": "Answered before it arrived.",
    "ended_before_arrival": "Ended before it arrived.",
    "ended_before_answer": "Ended before it was answered.",
    "only_source": "You may only send records of source {only_source!r}.",
}
YEARS = (1900, 2999)


class FieldError(ValueError):
    pass


def _problem(code: str, **words) -> FieldError:
    return FieldError(MESSAGES[code].format(**words))


def horizon_hours() -> float:
    return future_horizon().total_seconds() / 3600


@dataclass(frozen=True)
class Rule:
    """What one field may hold: its kind and the kind's limits."""

    kind: str  # text, choice, moment, seconds, flag, score, web_address
    required: bool = False
    max_length: int | None = MAX_TEXT  # text; None: the transcript's setting
    choices: tuple[str, ...] = ()  # choice
    default: object = None  # choice, flag
    low: int = 0  # score
    high: int = 0

    def limit(self) -> int:
        return transcript_max_chars() if self.max_length is None else self.max_length

    def parse(self, value):
        if self.kind == "text":
            return text(value, required=self.required, max_length=self.limit())
        if self.kind == "choice":
            return choice(value, self.choices, default=self.default)
        if self.kind == "moment":
            return moment(value, required=self.required)
        if self.kind == "seconds":
            return seconds(value)
        if self.kind == "flag":
            return flag(value, default=self.default)
        if self.kind == "score":
            return score(value, self.low, self.high)
        return web_address(value)

    def message(self, code: str, raw, text: str | None) -> str:
        """The words for a problem SQL found in this field: `raw` as the record sent it,
        `text` as it was staged (stripped)."""
        text = text or ""
        return MESSAGES[code].format(
            value=raw,
            limit=self.limit(),
            length=len(text),
            choices=", ".join(self.choices),
            hours=horizon_hours(),
            low=self.low,
            high=self.high,
            number=int(text) if _WHOLE_NUMBER.fullmatch(text) else None,
        )


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def text(value, *, required=False, max_length=MAX_TEXT) -> str:
    if _missing(value):
        if required:
            raise _problem("required")
        return ""
    if not isinstance(value, str):
        raise _problem("not_text", type=type(value).__name__)
    value = value.strip()
    if "\x00" in value:
        raise _problem("nul")
    if len(value) > max_length:
        raise _problem("too_long", limit=max_length, length=len(value))
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
            raise _problem("required")
        return default
    if not isinstance(value, str) or value.strip().lower() not in choices:
        raise _problem("not_a_choice", choices=", ".join(choices), value=value)
    return value.strip().lower()


def moment(value, *, required=False) -> datetime | None:
    """An ISO 8601 time with its UTC offset, from the year 1900 to at most the future
    horizon (a day) ahead of now."""
    if _missing(value):
        if required:
            raise _problem("required")
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        if not ISO_TIME_RE.fullmatch(value.strip()):
            raise _problem("not_iso", value=value)
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:  # a day the month does not have, the year 0
            raise _problem("not_iso", value=value) from None
    else:
        raise _problem("time_not_text")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _problem("no_offset")
    if not YEARS[0] <= parsed.year <= YEARS[1]:
        raise _problem("year")
    # Stored in UTC: databases refuse some offsets Python accepts (up to ±23:59).
    parsed = parsed.astimezone(UTC)
    if parsed > datetime.now(UTC) + future_horizon():
        raise _problem("future", hours=horizon_hours())
    return parsed


def seconds(value) -> float:
    """A finite duration in seconds, 0 to 10^9; empty means 0."""
    if _missing(value):
        return 0.0
    if isinstance(value, bool):
        raise _problem("seconds_not_number")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float
            number = math.inf
    elif isinstance(value, str):
        if not _NUMBER.fullmatch(value.strip()):
            raise _problem("not_seconds", value=value)
        number = float(value)
    else:
        raise _problem("seconds_not_number")
    if not math.isfinite(number):
        raise _problem("not_finite")
    if number < 0:
        raise _problem("negative")
    if number > MAX_DURATION_SECONDS:
        raise _problem("too_many_seconds")
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
    raise _problem("not_a_flag", value=value)


def score(value, low: int, high: int) -> int | None:
    if _missing(value):
        return None
    if isinstance(value, bool):
        raise _problem("whole_not_number", low=low, high=high)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise _problem("not_whole", low=low, high=high, value=value)
    if not low <= value <= high:
        raise _problem("out_of_range", low=low, high=high, number=value)
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

# The contact's fields and their rules, in the contract's order (errors follow it).
CONTACT_RULES = {
    "external_id": Rule("text", required=True, max_length=128),
    "source": Rule("text", max_length=64),
    "channel": Rule("choice", choices=CHANNELS),
    "direction": Rule("choice", choices=DIRECTIONS, default=Direction.INBOUND.value),
    "queue": Rule("text"),
    "agent": Rule("text"),
    "customer": Rule("text"),
    "arrived_at": Rule("moment", required=True),
    "answered_at": Rule("moment"),
    "ended_at": Rule("moment"),
    "talk_seconds": Rule("seconds"),
    "hold_seconds": Rule("seconds"),
    "wrap_seconds": Rule("seconds"),
    "transferred": Rule("flag", default=False),
    "resolved": Rule("flag", default=None),
    "callback_requested": Rule("flag", default=False),
    "topic": Rule("text"),
    "csat": Rule("score", low=1, high=5),
    "nps": Rule("score", low=0, high=10),
    "recording_url": Rule("web_address"),
    "transcript": Rule("text", max_length=None),
}
CONTACT_FIELDS = tuple(CONTACT_RULES)
# One parser per contact field, built once (this runs for every record of every import).
CONTACT_PARSERS = {name: rule.parse for name, rule in CONTACT_RULES.items()}
# The time order a contact keeps: (earlier, later, the later field's problem), checked
# in this order once both times are read.
TIME_ORDER = (
    ("arrived_at", "answered_at", "answered_before_arrival"),
    ("arrived_at", "ended_at", "ended_before_arrival"),
    ("answered_at", "ended_at", "ended_before_answer"),
)


def parse_contact(raw, *, default_source: str) -> tuple[dict, dict[str, list[str]]]:
    """Clean values of one contact record, and the errors per field (empty when valid)."""
    if not isinstance(raw, dict):
        return {}, {"non_field_errors": ["Expected an object with the contact's fields."]}
    values, errors = _collect(raw, CONTACT_PARSERS)
    if "source" in values and not values["source"]:
        values["source"] = default_source
    if values.get("direction") == Direction.INBOUND and "queue" in values and not values["queue"]:
        errors.setdefault("queue", []).append(MESSAGES["needs_queue"])
    for earlier, later, code in TIME_ORDER:
        first, then = values.get(earlier), values.get(later)
        if first and then and then < first:
            errors.setdefault(later, []).append(MESSAGES[code])
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
