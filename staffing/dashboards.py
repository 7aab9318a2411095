"""What the staffing pages show: the coverage of a week (required against scheduled
agents per 15-minute interval, for a team, a queue group or a queue: a heatmap, a line
chart, the expected service level, totals in agent-hours, the interval table and its
CSV) and the what-if's starting numbers from the stored forecast.

The numbers come from staffing.selectors (the requirement, the agents scheduled, the
shrinkage and patience in force) and staffing.erlang; this module only lays them out.
Agent-hours are interval sums: each interval is a quarter of an hour, so a total is the
sum of its intervals / 4, and the page's totals equal the sums of its table and CSV.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
from rest_framework.exceptions import ValidationError

from agents import access
from core.localtime import monday_of, zone
from forecasting import dashboards as forecast_pages
from forecasting.dashboards import week_of  # noqa: F401 (the staffing pages' week too)
from forecasting.history import interval_grid
from interactions.models import Queue
from kpis import charts
from staffing import calculate, erlang, selectors
from staffing.erlang import MODELS
from staffing.selectors import INTERVAL_SECONDS

MODEL_LABELS = {"erlang_c": "Erlang C", "erlang_a": "Erlang A"}
HOURS_PER_INTERVAL = 0.25
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
REQUIRED_COLOUR, SCHEDULED_COLOUR, HEADS_COLOUR = charts.PALETTE[5], charts.PALETTE[2], "#7b8794"
SL_COLOUR = charts.PALETTE[0]
# Under-staffed cells in vermillion, over-staffed in blue, balanced near white: the
# Okabe-Ito pair, readable with every common colour-vision deficiency.
DIVERGING = [[0.0, "#D55E00"], [0.35, "#f2b38a"], [0.5, "#f5f7fa"], [0.65, "#9cc9e6"],
             [1.0, "#0072B2"]]  # fmt: skip


@dataclass
class Scope:
    """What the coverage page covers: a team (its queues and its agents), a queue group
    or a queue (their queues, and the agents with each queue's skill)."""

    kind: str  # "team", "group" or "queue"
    name: str
    queues: list
    team: object = None
    errors: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


def options(user) -> tuple[list, list, list]:
    """The teams, queues and queue groups the user may look at (the forecast page's
    queues and groups, and the teams)."""
    teams = list(access.visible_teams(user).order_by("name").prefetch_related("queues"))
    return (teams, *forecast_pages.options(user))


def select(params, teams: list, queues: list, groups: list) -> Scope | None:
    """The scope asked for (`scope=team:NAME|group:NAME|queue:NAME`, or `team=`, `group=`,
    `queue=`), else the first team, else the first queue; None when there is nothing the
    user may see."""
    kind, name = "team", params.get("team")
    for key in ("group", "queue"):
        if params.get(key):
            kind, name = key, params[key]
    if params.get("scope"):
        kind, _, name = params["scope"].partition(":")
    errors = []
    if kind == "team" and name:
        team = next((team for team in teams if team.name == name), None)
        if team is not None:
            return Scope("team", team.name, sorted(team.queues.all(), key=_name), team)
        errors.append(f"No team {name!r} to show.")
    elif kind == "group":
        group = next((group for group in groups if group.name == name), None)
        if group is not None:
            return Scope("group", group.name, sorted(group.queues.all(), key=_name))
        errors.append(f"No queue group {name!r} to show.")
    elif kind == "queue":
        queue = next((queue for queue in queues if queue.name == name), None)
        if queue is not None:
            return Scope("queue", queue.name, [queue])
        errors.append(f"No queue {name!r} to show.")
    elif name or kind != "team":
        errors.append(f"No {kind} {name!r} to show.")
    if teams:
        team = teams[0]
        scope = Scope("team", team.name, sorted(team.queues.all(), key=_name), team, errors)
    elif queues:
        scope = Scope("queue", queues[0].name, [queues[0]], errors=errors)
    else:
        return None
    if errors:
        scope.errors = [f"{errors[0][:-1]}: showing {scope.kind} {scope.name}."]
    return scope


def _name(item) -> str:
    return item.name


def model_of(params) -> str:
    """The model the page compares with the schedule (`model=erlang_c|erlang_a`); Erlang
    A by default, as callers do hang up."""
    return params.get("model") if params.get("model") in MODELS else "erlang_a"


# -- the page ------------------------------------------------------------------------------


def coverage(user, scope: Scope, week: date, model: str) -> dict:
    """Everything the coverage page shows `user` for a scope, a week and the model
    compared. Heads to schedule use each queue's plan shrinkage (selectors.plan_shrinkage,
    the API's and the proposals' too); the shrinkage table lists the teams serving the
    queues that the user may see, and only counts the others."""
    need = selectors.requirement(scope.queues, week, 7)
    shrinkages = need.teams
    teams = list(access.visible_teams(user).filter(pk__in=list(shrinkages)).order_by("name"))
    # The queues' requirement is met by every agent with their skills, whatever their
    # team: a team's view compares it with all of them (a queue two teams serve is not
    # short in each) and shows the team's own share beside it.
    scheduled = selectors.scheduled_agents(scope.queues, week, 7)
    own = selectors.scheduled_agents(scope.queues, week, 7, team=scope.team) if scope.team else None
    summed = need.total()
    starts = need.local_starts
    required = summed["agents"][model]
    heads = summed["scheduled"][model]
    service_level = expected_service_level(need, scheduled, model)
    columns = {
        "contacts": summed["contacts"],
        "aht_seconds": summed["aht_seconds"],
        "required_erlang_c": summed["agents"]["erlang_c"],
        "required_erlang_a": summed["agents"]["erlang_a"],
        "heads": heads,
        "scheduled": scheduled,
        "gap": scheduled - required,
        "service_level": service_level,
    }
    if own is not None:
        columns["team_scheduled"] = own
    week_totals = totals(required, scheduled, heads)
    # Proposals always cover Erlang A's requirement (staffing.services): whether the
    # week is short under it decides the Propose link, whichever model is shown.
    week_totals["short_erlang_a"] = totals(summed["agents"]["erlang_a"], scheduled, heads)["short"]
    if own is not None:
        week_totals["team_scheduled"] = float(own.sum()) * HOURS_PER_INTERVAL
    week_totals.update(
        required_erlang_c=float(columns["required_erlang_c"].sum()) * HOURS_PER_INTERVAL,
        required_erlang_a=float(columns["required_erlang_a"].sum()) * HOURS_PER_INTERVAL,
    )
    targets = {float(target) for part in need.queues.values() if part.settings.real_time
               for target in np.unique(part.target_service_level)}  # fmt: skip
    return {
        "starts": starts,
        "columns": columns,
        "has_forecast": bool(summed["contacts"].any()),
        "has_schedule": bool(scheduled.any()),
        "totals": week_totals,
        "heatmap": heatmap(week, required, scheduled, service_level, model),
        "line_chart": line_chart(
            starts, summed["agents"], scheduled, heads, model, own, scope.team
        ),
        "service_level_chart": service_level_chart(
            starts,
            service_level,
            summed["contacts"],
            targets.pop() if len(targets) == 1 else None,
            model,
        ),
        "rows": interval_table(starts, {**columns, "service_level": 100 * service_level}),
        "shrinkage": [
            {
                "team": team.name,
                "configured": 100 * shrinkages[team.pk].configured,
                "measured": _percent(shrinkages[team.pk].measured),
                "used": 100 * shrinkages[team.pk].used,
                "source": "measured"
                if shrinkages[team.pk].used != shrinkages[team.pk].configured
                else "configured",
            }
            for team in teams
        ],  # fmt: skip
        "shrinkage_period": selectors.shrinkage_period(),
        "hidden_teams": len(shrinkages) - len(teams),
        "queue_settings": [
            {
                "queue": part.queue.name,
                "target": 100 * float(part.target_service_level.min()),
                "target_high": 100 * float(part.target_service_level.max()),
                "answer_seconds": part.settings.answer_seconds,
                "real_time": part.settings.real_time,
                "patience": part.settings.patience_seconds if part.settings.real_time else None,
                "estimated": part.settings.patience.estimated_seconds,
                "override": part.settings.patience.override_seconds,
                "patience_source": PATIENCE_SOURCES[part.settings.patience_source],
                "concurrency": part.settings.concurrency,
                "shrinkage": 100 * part.shrinkage,
            }
            for part in need.queues.values()
        ],  # fmt: skip
    }


def _percent(value):
    return None if value is None else 100 * value


def expected_service_level(need, scheduled: np.ndarray, model: str) -> np.ndarray:
    """The service level per interval with the agents scheduled (staffing.erlang.evaluate),
    0-1, NaN where no real-time contacts are expected. With several queues the agents
    scheduled are shared out in proportion to each queue's requirement and the queues'
    service levels weighted by their contacts; deferred queues (e-mail, SMS, social) have
    no waiting-time service level and are left out. A part-present agent (1.5 agents: one
    of them half the interval) counts as the whole agents only."""
    parts = list(need.queues.values())
    required = np.array([part.agents[model] for part in parts])
    total = required.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, required / total, 1.0 / len(parts))
    agents = np.floor(share * scheduled + 1e-6)
    live = [n for n, part in enumerate(parts) if part.settings.real_time]
    if not live:
        return np.full(len(scheduled), np.nan)

    def column(name):
        return np.array([[getattr(parts[n].settings, name)] for n in live], dtype=float)

    contacts = np.array([parts[n].contacts for n in live])
    performance = erlang.evaluate(
        model,
        agents[live],
        contacts,
        np.nan_to_num(np.array([parts[n].aht_seconds for n in live]), nan=1.0),
        INTERVAL_SECONDS,
        column("answer_seconds"),
        patience_seconds=column("patience_seconds") if model == "erlang_a" else None,
        concurrency=column("concurrency"),
    )
    offered = contacts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            offered > 0, (performance.service_level * contacts).sum(axis=0) / offered, np.nan
        )


# -- the numbers laid out ------------------------------------------------------------------


def totals(required: np.ndarray, scheduled: np.ndarray, heads: np.ndarray) -> dict:
    """Agent-hours of the week: required, scheduled heads after shrinkage, scheduled
    (productive), short (required but not scheduled) and over (scheduled beyond the
    requirement), each the sum of its intervals' values / 4."""
    gap = scheduled - required
    return {
        "required": float(required.sum()) * HOURS_PER_INTERVAL,
        "heads": float(heads.sum()) * HOURS_PER_INTERVAL,
        "scheduled": float(scheduled.sum()) * HOURS_PER_INTERVAL,
        "short": float(np.clip(-gap, 0, None).sum()) * HOURS_PER_INTERVAL,
        "over": float(np.clip(gap, 0, None).sum()) * HOURS_PER_INTERVAL,
    }


def heatmap(week: date, required, scheduled, service_level, model: str) -> dict:
    """Scheduled minus required agents by day (rows) and local time of day (columns):
    under-staffed cells in vermillion, over-staffed in blue; the hover shows the numbers.
    Only the hours with a requirement or a schedule on some day are drawn. On a
    fall-back day the two 01:00 intervals share a cell: the worse one is shown."""
    _starts, days, slots = interval_grid(week, 7)
    gap = scheduled - required
    order = np.argsort(gap, kind="stable")  # the worst of a shared cell comes first
    _keys, first = np.unique((days * 96 + slots)[order], return_index=True)
    chosen = order[first]
    z = np.full((7, 96), np.nan)
    custom = np.full((7, 96, 3), np.nan)
    z[days[chosen], slots[chosen]] = gap[chosen]
    custom[days[chosen], slots[chosen]] = np.stack(
        [required[chosen], scheduled[chosen], 100 * service_level[chosen]], axis=1
    )
    busy = np.flatnonzero((required > 0) | (scheduled > 0))
    if busy.size:
        low, high = int(slots[busy].min()), int(slots[busy].max()) + 1
    else:
        low, high = 32, 80  # nothing at all: the office day, all balanced
    z, custom = z[:, low:high], custom[:, low:high]
    reach = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.0
    reach = max(reach, 1.0)
    label = MODEL_LABELS[model]
    return {
        "data": [{
            "type": "heatmap",
            "x": [f"{slot // 4:02d}:{slot % 4 * 15:02d}" for slot in range(low, high)],
            "y": [f"{WEEKDAYS[n]} {week + timedelta(days=n):%-d %b}" for n in range(7)],
            "z": _listed(z),
            "customdata": _listed(custom),
            "zmin": -reach, "zmax": reach, "zmid": 0,
            "colorscale": DIVERGING,
            "xgap": 1, "ygap": 2,
            "colorbar": {"thickness": 10, "title": {"text": "over (+) / short (−)", "side": "right"}},
            "hovertemplate": "%{y} %{x}<br>required %{customdata[0]:.1f} (" + label + ")"
                             "<br>scheduled %{customdata[1]:.2f}<br>over/short %{z:+.1f}"
                             "<br>expected service level %{customdata[2]:.1f} %<extra></extra>",
        }],
        "layout": charts._layout(
            "Over and under staffing: scheduled − required agents (local time)",
            yaxis={"autorange": "reversed"},
            xaxis={"nticks": 16},
            hovermode="closest",
            margin={"l": 80, "r": 16, "t": 40, "b": 40},
        ),
    }  # fmt: skip


def line_chart(
    starts: list, required: dict, scheduled, heads, model: str, own=None, team=None
) -> dict:
    """The week per 15 minutes: agents required under both models (the one compared
    solid), the heads to schedule after shrinkage, the agents scheduled, and of those
    the team's own (a team's view)."""
    x = [start.isoformat() for start in starts]
    data = []
    for name in MODELS:
        chosen = name == model
        data.append({
            "type": "scatter", "mode": "lines", "name": f"Required ({MODEL_LABELS[name]})",
            "x": x, "y": required[name].tolist(),
            "line": {"color": REQUIRED_COLOUR if chosen else charts.PALETTE[3],
                     "width": 2 if chosen else 1, "dash": "solid" if chosen else "dot",
                     "shape": "hv"},
            "hovertemplate": f"required {MODEL_LABELS[name]} %{{y:.1f}}<extra></extra>",
        })  # fmt: skip
    data.append({
        "type": "scatter", "mode": "lines", "name": "Heads to schedule (after shrinkage)",
        "x": x, "y": heads.tolist(),
        "line": {"color": HEADS_COLOUR, "width": 1, "dash": "dash", "shape": "hv"},
        "hovertemplate": "heads %{y:.0f}<extra></extra>",
    })  # fmt: skip
    data.append({
        "type": "scatter", "mode": "lines", "name": "Scheduled (productive)", "x": x,
        "y": scheduled.tolist(), "fill": "tozeroy", "fillcolor": "rgba(0, 158, 115, 0.12)",
        "line": {"color": SCHEDULED_COLOUR, "width": 2, "shape": "hv"},
        "hovertemplate": "scheduled %{y:.2f}<extra></extra>",
    })  # fmt: skip
    if own is not None:
        data.append({
            "type": "scatter", "mode": "lines", "name": f"of which {team.name}", "x": x,
            "y": own.tolist(), "line": {"color": SCHEDULED_COLOUR, "width": 1, "dash": "dot",
                                        "shape": "hv"},
            "hovertemplate": f"{team.name} %{{y:.2f}}<extra></extra>",
        })  # fmt: skip
    return {
        "data": data,
        "layout": charts._layout(
            "Required against scheduled agents, per 15 minutes (local time)",
            yaxis={"gridcolor": "#e4e9f0", "zeroline": False, "rangemode": "tozero",
                   "title": "agents"},
        ),
    }  # fmt: skip


def service_level_chart(starts: list, service_level, contacts, target: float | None,
                        model: str) -> dict:  # fmt: skip
    """The service level expected per interval with the agents actually scheduled (the
    compared model), where contacts are expected, and the target."""
    x = [start.isoformat() for start in starts]
    y = [None if not volume else 100 * value
         for value, volume in zip(service_level.tolist(), contacts.tolist(), strict=True)]  # fmt: skip
    data = [{
        "type": "scatter", "mode": "lines", "name": f"Expected service level ({MODEL_LABELS[model]})",
        "x": x, "y": y, "connectgaps": False, "line": {"color": SL_COLOUR, "width": 1.5},
        "hovertemplate": "%{y:.1f} %<extra></extra>",
    }]  # fmt: skip
    if target is not None and x:
        data.append({
            "type": "scatter", "mode": "lines", "name": f"Target {100 * target:.0f} %",
            "x": [x[0], x[-1]], "y": [100 * target] * 2, "hoverinfo": "skip",
            "line": {"color": charts.TARGET_COLOUR, "width": 1.5, "dash": "dash"},
        })  # fmt: skip
    return {
        "data": data,
        "layout": charts._layout(
            "Service level expected with the staff scheduled (%)",
            yaxis={"gridcolor": "#e4e9f0", "zeroline": False, "range": [0, 101]},
        ),
    }


def _listed(values: np.ndarray) -> list:
    """A numpy array as JSON-ready lists, NaN as null (Plotly leaves those cells empty)."""
    return np.where(np.isnan(values), None, np.round(values, 4)).tolist()


def interval_table(starts: list, columns: dict) -> list[dict]:
    """The rows of the interval table: the intervals with contacts expected or agents
    scheduled, in time order, each with every column's value."""
    busy = (columns["contacts"] > 0) | (columns["scheduled"] > 0)
    names = list(columns)
    values = {name: columns[name].tolist() for name in names}
    return [
        {"start": starts[k], **{name: values[name][k] for name in names}}
        for k in np.flatnonzero(busy).tolist()
    ]


CSV_COLUMNS = ["contacts", "aht_seconds", "required_erlang_c", "required_erlang_a",
               "heads", "scheduled", "gap", "service_level"]  # fmt: skip


def intervals_csv(starts: list, columns: dict, model: str):
    """Every interval of the week as CSV rows (local start with its offset), the page's
    numbers unrounded; a team's view adds its own agents scheduled."""
    header = ["start", "contacts", "aht_seconds", "required_erlang_c", "required_erlang_a",
              f"heads_to_schedule_{model}", "scheduled", f"over_short_{model}",
              f"expected_service_level_{model}"]  # fmt: skip
    names = list(CSV_COLUMNS)
    if "team_scheduled" in columns:
        header.append("scheduled_of_the_team")
        names.append("team_scheduled")
    # NaN (no AHT or service level where nothing is expected) is an empty cell.
    values = [np.where(np.isnan(columns[name]), None, columns[name]).tolist() for name in names]
    rows = ([start, *(column[k] for column in values)] for k, start in enumerate(starts))
    return header, rows


def clock_options() -> list[str]:
    """Every 15-minute clock time of a day, for the what-if's interval picker."""
    return [time(slot // 4, slot % 4 * 15).strftime("%H:%M") for slot in range(96)]


# -- the what-if ---------------------------------------------------------------------------

RESULT_ROWS = [
    {"key": "agents", "label": "Agents needed"},
    {"key": "scheduled", "label": "Heads to schedule (after shrinkage)"},
    {"key": "service_level", "label": "Service level"},
    {"key": "asa_seconds", "label": "ASA (average speed of answer)"},
    {"key": "occupancy", "label": "Occupancy"},
    {"key": "probability_of_waiting", "label": "Probability of waiting"},
    {"key": "abandon_rate", "label": "Abandonment (Erlang A)"},
]
# The curve's head counts: from well under the answer to well over it, at most this many.
CURVE_POINTS = 80


def visible_queues(user) -> list:
    return list(Queue.objects.visible_to(user).order_by("name"))


@dataclass
class Prefill:
    """The what-if's starting numbers: a queue's stored forecast for one interval (a
    clock time, or the day's busiest) or a whole day, and the queue's settings in force."""

    queue: object
    date: date
    mode: str  # "interval", "busiest" or "day"
    clock: str = ""
    values: dict = field(default_factory=dict)
    note: str = ""


def whatif_prefill(params, queues: list, today: date) -> tuple[Prefill | None, list]:
    """The queue (`queue=`, else the first the user may see), the day (`date=`, else next
    Monday) and the interval (`time=HH:MM`, `time=day` for the whole day, else the day's
    busiest) of the stored forecast (selectors.forecast_arrays, the coverage page's and
    the API's reader), and the queue's settings in force."""
    errors = []
    day = monday_of(today) + timedelta(days=7)
    if params.get("date"):
        try:
            day = date.fromisoformat(params["date"])
        except ValueError:
            errors.append(f"The day should read YYYY-MM-DD: showing {day:%-d %b %Y}.")
    queue = next((queue for queue in queues if queue.name == params.get("queue")), None)
    if queue is None and queues and params.get("queue"):
        errors.append(f"No queue {params['queue']!r} to show: showing {queues[0].name}.")
    queue = queue or (queues[0] if queues else None)
    if queue is None:
        return None, errors
    clock = params.get("time") or ""
    mode = "day" if clock == "day" else ("interval" if clock else "busiest")
    if mode == "interval" and clock not in clock_options():
        errors.append(f"The interval should be a quarter hour such as 10:15, not {clock!r}.")
        mode, clock = "busiest", ""
    starts, contacts, aht = selectors.forecast_arrays([queue], day, 1)
    center = zone()
    local_starts = [datetime.fromtimestamp(int(start), center) for start in starts]
    chosen = None
    if mode == "interval":
        # The first of a fall-back day's two 01:xx; none on a spring-forward day's 02:xx.
        chosen = next(
            (k for k, start in enumerate(local_starts) if f"{start:%H:%M}" == clock), None
        )
        if chosen is None:
            errors.append(f"{day:%-d %b %Y} has no {clock} (the clocks go forward): "
                          "showing the day's busiest interval.")  # fmt: skip
            mode, clock = "busiest", ""
    values, note = _forecast_numbers(local_starts, contacts[0], aht[0], mode, chosen)
    settings = selectors.queue_settings([queue], day)[queue.pk]
    shrinkage = selectors.plan_shrinkage([queue], today)[queue.pk]
    values.update(
        target_service_level=100 * settings.target_service_level,
        target_answer_seconds=settings.answer_seconds,
        max_occupancy=100 * settings.max_occupancy,
        patience_seconds=round(settings.patience_seconds, 1),
        concurrency=settings.concurrency,
        shrinkage=100 * shrinkage,
    )
    note += f" Patience {settings.patience_source} ({PATIENCE_SOURCES[settings.patience_source]})"
    note += "; shrinkage: the one the queue's plan uses (its teams', weighted by their agents)."
    prefill = Prefill(queue, day, mode, clock if mode == "interval" else "", values, note)
    prefill.clock = prefill.clock or values.pop("clock", "")
    return prefill, errors


PATIENCE_SOURCES = {
    "override": "set for the queue",
    "estimated": "from its abandonment history",
    "fallback": "no abandonment yet: callers who never give up",
}


def _forecast_numbers(
    starts: list, contacts: np.ndarray, aht: np.ndarray, mode: str, chosen: int | None
) -> tuple[dict, str]:
    """Contacts, AHT and interval length of the forecast asked for (the interval
    `chosen`, the day's busiest, or the whole day), and a sentence saying where they
    come from. AHT is NaN where no contacts are expected."""
    work = np.where(contacts > 0, contacts * aht, 0.0)
    day_aht = float(work.sum() / contacts.sum()) if contacts.sum() > 0 else None
    if mode == "day":
        open_ = np.flatnonzero(contacts > 0)
        if not open_.size:
            return {"contacts": 0, "aht_seconds": None, "interval_seconds": 86400}, (
                "No contacts are forecast that day: type your own numbers."
            )
        span = int(open_[-1] - open_[0] + 1)
        first, last = starts[open_[0]], starts[open_[-1]] + timedelta(minutes=15)
        return {
            "contacts": round(float(contacts.sum()), 1),
            "aht_seconds": _rounded(day_aht),
            "interval_seconds": span * INTERVAL_SECONDS,
        }, (
            f"The whole day's forecast, spread evenly over its open hours "
            f"({first:%H:%M}–{last:%H:%M}, {span / 4:g} h): the average staffing of the day, "
            f"not of its peak."
        )
    k = int(contacts.argmax()) if mode == "busiest" else chosen
    start = starts[k]
    label = start.strftime("%H:%M")
    what = "the day's busiest interval" if mode == "busiest" else "the interval"
    note = (f"The forecast of {what}, {start:%a %-d %b} {label}–"
            f"{start + timedelta(minutes=15):%H:%M}.")  # fmt: skip
    if not contacts[k]:
        note += " No contacts are forecast then: type a volume."
    return {
        "contacts": round(float(contacts[k]), 1),
        "aht_seconds": _rounded(day_aht if np.isnan(aht[k]) else float(aht[k])),
        "interval_seconds": INTERVAL_SECONDS,
        "clock": label,
    }, note


def _rounded(value):
    return None if value is None else round(value, 1)


WHATIF_FIELDS = [
    # name (the calculate API's), label, unit, scale (typed / scale = the API's value),
    # optional, help
    ("contacts", "Volume", "contacts in the interval", None, False, ""),
    ("aht_seconds", "Average handle time", "s", None, False, "Talk + hold + wrap."),
    ("interval_seconds", "Interval length", "s", None, False, "900 = 15 minutes."),
    ("target_service_level", "Service-level target", "%", 100, False, ""),
    ("target_answer_seconds", "Answered within", "s", None, False,
     "The queue's threshold T (its response target for e-mail, SMS and social)."),
    ("patience_seconds", "Patience", "s", None, False,
     "Mean time callers wait before they give up (Erlang A)."),
    ("max_occupancy", "Occupancy cap", "%", 100, True, "Empty: no cap."),
    ("shrinkage", "Shrinkage", "%", 100, False, "Share of paid time not on contacts."),
    ("concurrency", "Concurrency", "contacts at once", None, False, "1 for voice; chats an agent handles at once."),
]  # fmt: skip


def whatif_fields(prefill: Prefill | None) -> list[dict]:
    values = prefill.values if prefill else {}
    return [
        {"name": name, "label": label, "unit": unit, "scale": scale, "optional": optional,
         "help": help, "value": _shown(values.get(name))}
        for name, label, unit, scale, optional, help in WHATIF_FIELDS
    ]  # fmt: skip


def _shown(value):
    """A number as the form shows it: no trailing .0, at most four decimals."""
    if value is None:
        return None
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


def whatif_curve(body: dict) -> tuple[dict | None, dict | None]:
    """The service level of a range of head counts around the answers, under both
    models, for the calculate API's inputs (read and checked by its own
    read_calculation, so a target is required and an occupancy cap that would need too
    many agents is refused): one engine call per model. The curve draws every head
    count, so `agents` is refused rather than ignored. Errors name the field, as the
    API's."""
    if "agents" in body:
        return None, {"agents": ["The curve draws every head count: leave agents out."]}
    try:
        values = calculate.read_calculation({**body, "model": "erlang_a"})
    except ValidationError as error:
        return None, error.detail
    interval = {
        "contacts": values["contacts"], "aht_seconds": values["aht_seconds"],
        "interval_seconds": values["interval_seconds"], "concurrency": values["concurrency"],
    }  # fmt: skip
    answer = values["target_answer_seconds"]
    needed = {}
    for model in MODELS:
        patience = values["patience_seconds"] if model == "erlang_a" else None
        needed[model] = int(erlang.agents_needed(
            model, target_service_level=values["target_service_level"],
            answer_seconds=answer, max_occupancy=values["max_occupancy"],
            patience_seconds=patience, **interval,
        ))  # fmt: skip
    low = max(1, int(min(needed.values()) * 0.6))
    high = max(int(max(needed.values()) * 1.25) + 3, low + 5)
    step = max(1, -(-(high - low) // CURVE_POINTS))
    agents = np.arange(low, high + 1, step)
    curve = {"agents": agents.tolist(), "needed": needed,
             "target": values["target_service_level"]}  # fmt: skip
    for model in MODELS:
        patience = values["patience_seconds"] if model == "erlang_a" else None
        result = erlang.evaluate(model, agents, answer_seconds=answer,
                                 patience_seconds=patience, **interval)  # fmt: skip
        curve[model] = result.service_level.tolist()
    return curve, None
