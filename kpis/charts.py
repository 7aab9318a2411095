"""Charts: pure functions from numbers to Plotly figure specs (plain dicts).

One theme and one colour-blind-safe palette (Okabe & Ito) for every chart; templates only
hand the spec to Plotly.newPlot. Plain dicts instead of plotly.graph_objects: the same
JSON, without the per-figure validation cost on every page view.
"""

from kpis import definitions

# Okabe-Ito: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
TARGET_COLOUR = "#D55E00"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def _layout(title: str, **extra) -> dict:
    layout = {
        "title": {"text": title, "font": {"size": 15}, "x": 0, "xanchor": "left"},
        "font": {"family": FONT, "size": 12, "color": "#1f2933"},
        "margin": {"l": 48, "r": 16, "t": 40, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"gridcolor": "#e4e9f0", "zeroline": False},
        "yaxis": {"gridcolor": "#e4e9f0", "zeroline": False, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
        "colorway": PALETTE,
    }
    layout.update(extra)
    return layout


def _unit_suffix(kpi: definitions.Kpi) -> str:
    return {"percent": " %", "seconds": " s"}.get(kpi.unit, "")


def trend(
    kpi: definitions.Kpi,
    periods: list,
    values: list,
    target: float | None = None,
    provisional: list[bool] | None = None,
) -> dict:
    """A KPI over time, with the business's target as a dashed line. Provisional points
    (values that can still change, such as FCR inside its repeat window) are drawn hollow
    on a dotted line of their own."""
    provisional = provisional or [False] * len(values)
    settled = [None if late else value for value, late in zip(values, provisional, strict=True)]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": kpi.label,
            "x": periods,
            "y": settled,
            "line": {"color": PALETTE[0], "width": 2},
            "marker": {"size": 5},
            "hovertemplate": f"%{{y:.1f}}{_unit_suffix(kpi)}<extra></extra>",
        }
    ]
    if any(provisional):
        # The dotted line starts at the last settled point so the two read as one series.
        first = provisional.index(True)
        start = max(first - 1, 0)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{kpi.label} (provisional)",
                "x": periods[start:],
                "y": values[start:],
                "line": {"color": PALETTE[0], "width": 2, "dash": "dot"},
                "marker": {"size": 6, "symbol": "circle-open"},
                "hovertemplate": f"%{{y:.1f}}{_unit_suffix(kpi)} (provisional)<extra></extra>",
            }
        )
    if target is not None and periods:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Target",
                "x": [periods[0], periods[-1]],
                "y": [target, target],
                "line": {"color": TARGET_COLOUR, "dash": "dash", "width": 1.5},
                "hovertemplate": f"target %{{y:.1f}}{_unit_suffix(kpi)}<extra></extra>",
            }
        )
    return {"data": data, "layout": _layout(kpi.label)}


def volume_heatmap(weekdays: list[str], hours: list[int], counts: list[list[int]]) -> dict:
    """Contacts offered by weekday and hour of day (local time)."""
    return {
        "data": [
            {
                "type": "heatmap",
                "x": [f"{hour:02d}:00" for hour in hours],
                "y": weekdays,
                "z": counts,
                "colorscale": [[0, "#f5f7fa"], [0.5, "#56B4E9"], [1, "#0072B2"]],
                "hovertemplate": "%{y} %{x}: %{z} contacts<extra></extra>",
                "colorbar": {"thickness": 10},
            }
        ],
        "layout": _layout(
            "When contacts arrive (weekday x hour)",
            yaxis={"autorange": "reversed"},
            hovermode="closest",
        ),
    }


def intraday(
    periods: list,
    service_level: list,
    abandonment: list,
    offered: list,
    title: str = "Service level and abandonment by interval",
    overlays: list | None = None,
) -> dict:
    """One day by interval: volume as bars, service level and abandonment as lines;
    `overlays` (a forecast) are dashed lines on the volume's axis."""
    figure = {
        "data": [
            {
                "type": "bar",
                "name": "Offered",
                "x": periods,
                "y": offered,
                "marker": {"color": "#c9d6e3"},
                "yaxis": "y2",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Service level %",
                "x": periods,
                "y": service_level,
                "line": {"color": PALETTE[2], "width": 2},
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Abandonment %",
                "x": periods,
                "y": abandonment,
                "line": {"color": PALETTE[5], "width": 2},
            },
        ],  # fmt: skip
        "layout": _layout(
            title,
            yaxis={"title": "%", "range": [0, 100], "gridcolor": "#e4e9f0"},
            yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": "offered"},
        ),
    }
    for series in overlays or ():
        figure["data"].append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": series["name"],
                "x": series["x"],
                "y": series["y"],
                "yaxis": "y2",
                "line": {"color": "#1f2933", "width": 1.5, "dash": "dash"},
                "hovertemplate": "%{y:.1f}<extra>" + series["name"] + "</extra>",
            }
        )
    return figure


def sparkline_points(values: list, width: int = 120, height: int = 28) -> str:
    """SVG polyline points for a tile's sparkline (gaps where a ratio is empty skipped)."""
    known = [(index, value) for index, value in enumerate(values) if value is not None]
    if len(known) < 2:
        return ""
    low = min(value for _index, value in known)
    high = max(value for _index, value in known)
    span = (high - low) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{index * step:.1f},{height - 2 - (value - low) / span * (height - 4):.1f}"
        for index, value in known
    )


def comparison(kpi: definitions.Kpi, periods: list, mine: list, theirs: list | None) -> dict:
    """One agent's KPI over time, with their team's as a second line."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": "Agent", "x": periods, "y": mine,
             "line": {"color": PALETTE[0], "width": 2}, "marker": {"size": 5}}]  # fmt: skip
    if theirs is not None:
        data.append({"type": "scatter", "mode": "lines", "name": "Team", "x": periods, "y": theirs,
                     "line": {"color": PALETTE[1], "width": 1.5, "dash": "dot"}})  # fmt: skip
    return {"data": data, "layout": _layout(kpi.label)}


def target_progress(labels: list[str], actual: list, target: list, colours: list[str]) -> dict:
    """Each target's actual value as a bar, its target as a marker."""
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": "Actual",
                "y": labels,
                "x": actual,
                "marker": {"color": colours},
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Target",
                "y": labels,
                "x": target,
                "marker": {
                    "symbol": "line-ns-open",
                    "size": 18,
                    "color": "#000000",
                    "line": {"width": 2},
                },
            },
        ],  # fmt: skip
        "layout": _layout(
            "Targets: actual against target",
            hovermode="closest",
            yaxis={"autorange": "reversed"},
            margin={"l": 220, "r": 16, "t": 40, "b": 40},
        ),  # fmt: skip
    }
