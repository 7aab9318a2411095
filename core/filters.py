"""The repeatable text filters of pages (`?queue=Billing&queue=Sales`, team, agent,
channel): one parser, the pages' counterpart of core.api.text_params.

The rule (docs/reliability.md, "Bad input"): empty values are dropped; a value holding a
NUL character (which PostgreSQL refuses, and no name holds) answers 400 with a plain
message naming the filter, on every page alike, rather than a 500 or a page quietly
showing something else than what was asked.
"""

from django.core.exceptions import BadRequest
from django.http import HttpResponseBadRequest
from django.views import defaults


class BadFilter(BadRequest):
    """A filter value no page can answer; shown to the user as a 400 with its message."""


def text_filters(params, name) -> tuple[str, ...]:
    """The non-empty values of the repeatable filter `name`."""
    values = tuple(value for value in params.getlist(name) if value)
    if any("\x00" in value for value in values):
        raise BadFilter(f"The {name} filter may not contain NUL characters.")
    return values


def bad_request(request, exception=None):
    """The 400 page (settings' handler400): the message of a bad filter in plain text,
    Django's own page for anything else."""
    if isinstance(exception, BadFilter):
        return HttpResponseBadRequest(str(exception), content_type="text/plain; charset=utf-8")
    return defaults.bad_request(request, exception)
