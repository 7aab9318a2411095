"""The KPI pages as PDFs: each page's template context turned into a core.pdf.Page (title,
filter lines, tiles, charts). The tables come from each page's own CSV exports (the
`tables` given to core.pdf.page_exports in kpis/views.py)."""

from core.pdf import Page, Tile
from kpis import definitions
from kpis.templatetags.kpi_format import kpi_value


def period_line(filters) -> str:
    if filters.single_day:
        return f"Period: {filters.start:%-d %b %Y}"
    return f"Period: {filters.start:%-d %b %Y} – {filters.end:%-d %b %Y}"


def filter_lines(filters) -> list[str]:
    lines = [period_line(filters)]
    for label, values in (("Queues", filters.queues), ("Channels", filters.channels),
                          ("Teams", filters.teams)):  # fmt: skip
        if values:
            lines.append(f"{label}: {', '.join(values)}")
    return lines


def tile(tile: dict, compare_label: str | None) -> Tile:
    """A dashboard tile (kpis.dashboards.tiles) as the PDF draws it."""
    kpi = tile["kpi"]
    if tile.get("not_applicable"):
        return Tile(kpi.label, "—", "n/a: a queue's number, not a team's")
    value = tile["split"]["real_time"] if tile.get("split") else tile["value"]
    change = ""
    if tile.get("change") and not tile.get("split"):
        change = f"{tile['change']['value']:+.1f} {tile['change']['unit']} vs {compare_label}"
    target = ""
    if tile.get("target"):
        target = f"Target {kpi_value(tile['target'].value, kpi)}"
        target += " · provisional" if tile.get("provisional") else f" · {tile['status']}"
    return Tile(kpi.label, kpi_value(value, kpi), change, target)


def overview(context) -> Page:
    data, filters = context["data"], context["filters"]
    lines = filter_lines(filters) + [f"Changes compare with {data['compare']['label']}"]
    if data["queues_served"]:
        lines.append(
            f"Queue-side figures from the queues served: {', '.join(data['queues_served'])}"
        )
    label = lambda key: definitions.BY_KEY[key].label if key in definitions.BY_KEY else key  # noqa: E731
    charts = [(label(trend["key"]), trend["figure"]) for trend in data["trends"]]
    charts += [("Contacts by weekday and hour", data["heatmap"]), ("Intraday", data["intraday"])]
    return Page(
        title="Overview",
        lines=lines,
        tiles=[tile(row, data["compare"]["label"]) for row in data["tiles"]],
        charts=charts,
        name=("overview", filters.start, filters.end),
    )


def team(context) -> Page:
    data, filters, team = context["data"], context["filters"], context["team"]
    tiles = [
        Tile(f"{row['kpi'].label}{' · ' + row['channels'] if row['channels'] else ''}",
             kpi_value(row["team"], row["kpi"]), f"Center {kpi_value(row['center'], row['kpi'])}")
        for row in data["comparison"]
    ]  # fmt: skip
    return Page(
        title=f"Team {team.name}",
        lines=filter_lines(filters) + [f"Leaderboard by {data['leader_kpi'].label}"],
        tiles=tiles,
        name=("team", team.name, filters.start, filters.end),
    )


def agent(context) -> Page:
    data, filters, agent = context["data"], context["filters"], context["agent"]
    tiles = [Tile(kpi.label, kpi_value(data["total"][kpi.key], kpi)) for kpi in data["agent_kpis"]]
    charts = [(definitions.BY_KEY[item["key"]].label, item["figure"]) for item in data["figures"]]
    return Page(
        title=f"Agent {agent}",
        lines=filter_lines(filters),
        tiles=tiles,
        charts=charts,
        name=("agent", agent.login, filters.start, filters.end),
    )


def targets(context) -> Page:
    filters, rows = context["filters"], context["rows"]
    statuses = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    tiles = [Tile(f"Targets {status}", str(count)) for status, count in sorted(statuses.items())]
    return Page(
        title="Targets",
        lines=filter_lines(filters),
        tiles=tiles,
        charts=[("Progress against target", context["figure"])] if rows else [],
        name=("targets", filters.start, filters.end),
    )


def adherence(context) -> Page:
    team, rows = context["team"], context["rows"]
    return Page(
        title=f"Adherence now: {team.name}",
        lines=["Scheduled against actual activity, as of the download"],
        tiles=[Tile("Agents", str(len(rows))), Tile("Out of adherence", str(context["out_count"]))],
        name=("adherence", team.name),
    )


def leaderboard(context) -> Page:
    filters, kpi = context["filters"], context["kpi"]
    return Page(
        title=f"Leaderboard: {kpi.label}",
        lines=filter_lines(filters)
        + [f"{'Higher' if kpi.direction == 'higher' else 'Lower'} is better"],
        name=("leaderboard", kpi.key, filters.start, filters.end),
    )
