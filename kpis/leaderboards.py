"""Leaderboards: agents and teams ranked by one KPI, by the same rule everywhere.

Reads only, through `kpi_series`, so a leaderboard's numbers are the ones every other page
shows. The rules (docs/kpis.md, "Leaderboards"):

- Rows are ranked by the KPI in its better direction; a KPI with no better direction
  (a volume count, a target band such as occupancy) cannot be ranked.
- Ties share a rank and the next rank skips ("1, 2, 2, 4"). Two values tie when they read
  the same on the page (the KPI's display precision: 95.04 % and 94.96 % both read
  95.0 %), because a board that ranks two equal-looking numbers apart looks arbitrary and
  the difference is below what anyone can see. Tied rows are listed by name.
- A row needs a minimum volume of handled contacts in the period to be ranked (setting
  LEADERBOARD_MIN_HANDLED for agents, LEADERBOARD_MIN_TEAM_HANDLED for teams): a few
  contacts make a ratio swing. A row with no value (an empty ratio) is not ranked either.
  Rows not ranked are listed after the ranked ones, by name, with the reason, never hidden.
"""

from dataclasses import dataclass
from datetime import date
from itertools import groupby

from django.conf import settings

from agents.models import Agent, Team
from kpis import definitions
from kpis.selectors import SeriesRequest, kpi_series
from kpis.templatetags.kpi_format import kpi_value

# The KPIs a leaderboard may rank, for agents and for teams alike: dashboards.AGENT_KPIS
# less `handled` (a volume: more is not better), occupancy (a target band: neither end is
# better) and ASA (the wait before the agent answered: the queue's staffing, not theirs).
# Queue-side KPIs (service level, abandonment, offered) belong to queues, not to teams.
RANKABLE_KPIS = (
    "aht",
    "transfer_rate",
    "fcr",
    "csat",
    "nps",
    "utilization",
    "adherence",
    "contacts_per_hour",
    "quality_score",
    "critical_fail_rate",
)
DEFAULT_KPI = "aht"


def min_handled() -> int:
    """Handled contacts an agent needs in the period to be ranked."""
    return getattr(settings, "LEADERBOARD_MIN_HANDLED", 10)


def min_team_handled() -> int:
    """Handled contacts a team needs in the period to be ranked."""
    return getattr(settings, "LEADERBOARD_MIN_TEAM_HANDLED", 50)


def chosen_kpi(key: str | None) -> definitions.Kpi:
    """The KPI a `?kpi=` asks for, or the default when it cannot be ranked."""
    return definitions.BY_KEY[key if key in RANKABLE_KPIS else DEFAULT_KPI]


@dataclass
class Board:
    kpi: definitions.Kpi
    minimum: int
    ranked: list[dict]
    unranked: list[dict]

    @property
    def rows(self) -> list[dict]:
        return self.ranked + self.unranked


def rank(rows, kpi: definitions.Kpi, *, minimum: int) -> Board:
    """Rank rows by `kpi`: each row a dict with at least `name`, `value` and `handled`.

    Returns copies of the rows with `rank` (None when not ranked), `tied`, `shown` (the
    value as displayed) and `note` (why a row is not ranked).
    """
    if kpi.direction not in (definitions.HIGHER, definitions.LOWER):
        raise ValueError(f"{kpi.label} has no better direction and cannot be ranked.")
    by_name = lambda row: (row["name"].casefold(), row["name"])  # noqa: E731
    candidates, unranked = [], []
    for row in rows:
        if row["handled"] < minimum:
            note = f"not ranked (fewer than {minimum} handled)"
        elif row["value"] is None:
            note = "not ranked (no value)"
        else:
            note = ""
        entry = {**row, "rank": None, "tied": False, "note": note,
                 "shown": kpi_value(row["value"], kpi)}  # fmt: skip
        (unranked if note else candidates).append(entry)
    higher = kpi.direction == definitions.HIGHER
    candidates.sort(key=lambda row: -row["value"] if higher else row["value"])
    ranked = []
    # Rounding for display keeps the order, so rows that read the same are neighbours.
    for _shown, group in groupby(candidates, key=lambda row: row["shown"]):
        group = sorted(group, key=by_name)
        for row in group:
            row.update(rank=len(ranked) + 1, tied=len(group) > 1)
        ranked.extend(group)
    return Board(kpi=kpi, minimum=minimum, ranked=ranked, unranked=sorted(unranked, key=by_name))


def agent_entries(series_rows, kpi: definitions.Kpi) -> list[dict]:
    """`kpi_series` rows grouped by agent, as leaderboard rows with each agent's names."""
    rows = [row for row in series_rows if row["group"]["agent"] is not None]
    agents = Agent.objects.select_related("team").in_bulk(
        [row["group"]["agent"] for row in rows], field_name="login"
    )
    entries = []
    for row in rows:
        agent = agents[row["group"]["agent"]]
        entries.append({
            "name": str(agent),
            "login": agent.login,
            "pk": agent.pk,
            "team": agent.team,
            "value": row["kpis"][kpi.key],
            "handled": row["components"]["handled"],
        })  # fmt: skip
    return entries


def agent_board(user, start: date, end: date, kpi: definitions.Kpi) -> Board:
    """The agents the user may see (managers: the center; supervisors: their teams')."""
    # `handled` too: the minimum needs it, and a time-based KPI (utilization, adherence)
    # does not carry it among its own components.
    series = kpi_series(user, SeriesRequest(start=start, end=end, group_by="agent",
                                            kpis=(kpi.key, "handled")))  # fmt: skip
    return rank(agent_entries(series, kpi), kpi, minimum=min_handled())


def team_board(user, start: date, end: date, kpi: definitions.Kpi) -> Board:
    """Team against team: each team's contacts handled by its agents and its agents' states."""
    series = kpi_series(user, SeriesRequest(start=start, end=end, group_by="team",
                                            kpis=(kpi.key, "handled")))  # fmt: skip
    rows = [row for row in series if row["group"]["team"] is not None]
    teams = Team.objects.in_bulk([row["group"]["team"] for row in rows], field_name="name")
    entries = [
        {
            "name": row["group"]["team"],
            "pk": teams[row["group"]["team"]].pk,
            "value": row["kpis"][kpi.key],
            "handled": row["components"]["handled"],
        }
        for row in rows
    ]
    return rank(entries, kpi, minimum=min_team_handled())


def agent_csv(board: Board) -> tuple[list[str], list[list]]:
    """The header and rows of an agent leaderboard's CSV: the ranks the page shows."""
    header = ["rank", "agent", "login", "team", board.kpi.key, "handled", "note"]
    rows = [
        [row["rank"], row["name"], row["login"], row["team"].name if row["team"] else None,
         row["value"], row["handled"], row["note"]]
        for row in board.rows
    ]  # fmt: skip
    return header, rows


def team_csv(board: Board) -> tuple[list[str], list[list]]:
    """The header and rows of a team-against-team CSV."""
    header = ["rank", "team", board.kpi.key, "handled", "note"]
    rows = [
        [row["rank"], row["name"], row["value"], row["handled"], row["note"]] for row in board.rows
    ]
    return header, rows
