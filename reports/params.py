"""A subscription's filters: the page's URL query string, only the parameters we know.

Every kind takes the overview's filters (`queue`, `channel`, repeatable names) and
`compare`; `team` names a team by its name (repeatable on the overview and targets, exactly
one for the team and adherence reports), `agent` an agent by their login (exactly one, the
agent report). The period is never a parameter: it follows from the frequency.
"""

from dataclasses import dataclass
from urllib.parse import parse_qs

from django.core.exceptions import ValidationError

KINDS = {
    "overview": "Center overview",
    "team": "Team",
    "agent": "Agent's own numbers",
    "targets": "Targets",
    "adherence": "Adherence",
    "forecast_accuracy": "Forecast accuracy",
}
KNOWN = {"queue", "channel", "team", "agent", "compare"}
COMPARES = {"previous", "week"}
# Kinds whose report is about one team or one agent: the parameter they need.
ONE_TEAM = {"team", "adherence"}


@dataclass(frozen=True)
class ReportParams:
    queues: tuple = ()
    channels: tuple = ()
    teams: tuple = ()
    agent: str = ""
    compare: str = "previous"


def parse(kind: str, query: str) -> ReportParams:
    """The filters of `query` for a report of `kind`; ValidationError naming the parameter."""
    if kind not in KINDS:
        raise ValidationError(f"Unknown report {kind!r}.")
    try:
        values = parse_qs(query.lstrip("?"), strict_parsing=bool(query.strip("?")))
    except ValueError:
        raise ValidationError("The filters should read like a page's query string.") from None
    unknown = sorted(set(values) - KNOWN)
    if unknown:
        raise ValidationError(
            f"Unknown parameter {unknown[0]!r}: known are {', '.join(sorted(KNOWN))}."
        )
    for name, items in values.items():
        if any("\x00" in item for item in items):
            raise ValidationError(f"The {name} parameter may not contain NUL characters.")
    compare = values.get("compare", ["previous"])
    if len(compare) != 1 or compare[0] not in COMPARES:
        raise ValidationError("compare should be previous or week.")
    agents = values.get("agent", [])
    teams = tuple(values.get("team", []))
    if kind == "agent":
        if len(agents) != 1:
            raise ValidationError("The agent report needs one agent parameter (the login).")
    elif agents:
        raise ValidationError("Only the agent report takes an agent parameter.")
    if kind in ONE_TEAM and len(teams) != 1:
        raise ValidationError(f"The {KINDS[kind].lower()} report needs one team parameter.")
    return ReportParams(
        queues=tuple(values.get("queue", [])),
        channels=tuple(values.get("channel", [])),
        teams=teams,
        agent=agents[0] if agents else "",
        compare=compare[0],
    )
