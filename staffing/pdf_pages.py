"""The coverage page as a PDF (core.pdf): scope, week and model, the week's totals as
tiles, the charts; the table is the page's own CSV export (`intervals`)."""

from core.pdf import Page, Tile


def coverage(context) -> Page:
    scope, week = context["scope"], context["week"]
    if scope is None or "data" not in context:
        lines = context["errors"] or ["No queue to cover: pick a team, queue group or queue"]
        return Page("Coverage", lines=lines, name=("coverage", week))
    totals, label = context["data"]["totals"], context["model_label"]
    tiles = [
        Tile(f"Required ({label})", f"{totals['required']:.1f} h", "agent-hours on contacts"),
        Tile("To schedule after shrinkage", f"{totals['heads']:.1f} h", "heads × hours, paid"),
        Tile("Scheduled (productive)", f"{totals['scheduled']:.1f} h"),
        Tile("Short", f"{totals['short']:.1f} h", "required, not scheduled"),
        Tile("Over", f"{totals['over']:.1f} h", "scheduled beyond the requirement"),
    ]
    data = context["data"]
    charts = [(title, data[key]) for title, key in (("Short and over per 15 minutes", "heatmap"),
              ("Required against scheduled", "line_chart"),
              ("Service level", "service_level_chart")) if data.get(key)]  # fmt: skip
    return Page(
        title=f"Coverage: {scope.name}",
        lines=[f"Week of {week:%-d %b %Y}", f"Model: {label}", *context["errors"]],
        tiles=tiles,
        charts=charts,
        name=("coverage", scope.name, week, context["model"]),
    )
