from django.contrib.auth.decorators import login_required
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone

from agents import access
from core import roles
from core.exports import csv_filename, csv_response, requested
from core.filters import text_filters
from core.pdf import page_exports
from core.roles import MANAGER, SUPERVISOR, role_required
from interactions import outcomes
from interactions.models import Queue
from kpis import alerts, charts, dashboards, definitions, leaderboards, live, pdf_pages, selectors
from kpis.models import Alert
from quality import coaching


@login_required
def home(request):
    """Each role's landing page: managers and supervisors go to their dashboard."""
    user = request.user
    if roles.is_manager(user) or roles.is_supervisor(user):
        return redirect("overview")
    context = {
        "overview": selectors.database_overview(user),
        "my_agent": access.agent_of(user) if roles.is_agent(user) else None,
    }
    return render(request, "kpis/home.html", context)


@login_required
@role_required(MANAGER, SUPERVISOR)
@page_exports(pdf_pages.overview, ("queue", "channel", "team", "series"))
def overview(request):
    """The manager's morning page; a supervisor sees it for their teams."""
    user = request.user
    filters = dashboards.parse_filters(request.GET)
    if requested(request, "series"):
        return _series_csv(user, filters)
    for group_by in ("queue", "channel", "team"):
        if requested(request, group_by):
            return _breakdown_csv(user, filters, group_by)
    context = {
        "filters": filters,
        "periods": dashboards.PERIODS,
        "queues": Queue.objects.visible_to(user).values_list("name", flat=True),
        "teams": access.visible_teams(user).values_list("name", flat=True),
        "channels": ["voice", "chat", "email", "social", "sms"],
        "data": dashboards.overview(user, filters),
        "comparisons": dashboards.COMPARISONS,
        "grains": dashboards.GRAINS,
    }
    return TemplateResponse(request, "kpis/overview.html", context)


def _series_csv(user, filters):
    """The overview as a CSV of the KPI series by day (by hour for one day): the same
    scope as its tiles and charts (a team's queue-side KPIs from the queues it serves)."""
    granularity = "hour" if filters.single_day else "day"
    rows = selectors.scope_series(user, filters.request(granularity=granularity))
    return csv_response(
        csv_filename("kpis", filters.start, filters.end),
        ["period_start", *(kpi.key for kpi in definitions.KPIS), "provisional"],
        (
            [
                row["period_start"],
                *(row["kpis"][kpi.key] for kpi in definitions.KPIS),
                " ".join(row["provisional"]),
            ]
            for row in rows
        ),
    )


def _breakdown_csv(user, filters, group_by):
    rows = dashboards.breakdown(user, filters, group_by)
    return csv_response(
        csv_filename("kpis-by", group_by, filters.start, filters.end),
        [group_by, *dashboards.TABLE_KPIS],
        ([row["name"], *(row["kpis"][key] for key in dashboards.TABLE_KPIS)] for row in rows),
    )


@login_required
def kpi_help(request, key=None):
    """What each KPI means and how it is computed, from the registry."""
    if key is not None and key not in definitions.BY_KEY:
        raise Http404
    return render(
        request,
        "kpis/kpi_help.html",
        {
            "kpis": definitions.KPIS,
            "current": definitions.BY_KEY.get(key),
            "outcome_labels": outcomes.LABELS,
        },  # fmt: skip
    )


@login_required
def kpi_explain(request, key):
    """What makes a KPI that no contact list explains: agent states, schedules or costs,
    for the same period and scope as the figure it was opened from."""
    kpi = definitions.BY_KEY.get(key)
    if kpi is None or not kpi.explained_by:
        raise Http404
    user = request.user
    if not (roles.is_manager(user) or roles.is_supervisor(user) or access.agent_of(user)):
        raise Http404
    series_request, errors = dashboards.explain_request(request.GET)
    context = {"data": dashboards.explain(user, kpi, series_request), "errors": errors,
               "request_filters": series_request}  # fmt: skip
    return render(request, "kpis/kpi_explain.html", context)


@login_required
@page_exports(pdf_pages.team, ("comparison", "agents", "leaderboard"))
def team_detail(request, pk):
    """A team's KPIs against the center's, its agents with outliers, a leaderboard."""
    team = access.get_team_for_user(request.user, pk)
    filters = dashboards.parse_filters(request.GET)
    data = dashboards.team_page(team, filters, request.GET.get("kpi"))
    if requested(request, "comparison"):
        return csv_response(
            csv_filename(team.name, "vs-center", filters.start, filters.end),
            ["kpi", "channels", team.name, "center"],
            (
                [row["kpi"].key, row["channels"], row["team"], row["center"]]
                for row in data["comparison"]
            ),
        )
    if requested(request, "agents"):
        return csv_response(
            csv_filename(team.name, "agents", filters.start, filters.end),
            ["agent", *dashboards.AGENT_KPIS],
            ([row["login"], *(row["kpis"][key] for key in dashboards.AGENT_KPIS)]
             for row in data["agents"]),
        )  # fmt: skip
    if requested(request, "leaderboard"):
        board = data["leaderboard"]
        return csv_response(
            csv_filename(team.name, "leaderboard", board.kpi.key, filters.start, filters.end),
            *leaderboards.agent_csv(board),
        )
    context = {
        "team": team,
        "filters": filters,
        "periods": dashboards.PERIODS,
        "data": data,
        "agent_ids": dict(team.agents.values_list("login", "pk")),
        "real_time": definitions.REAL_TIME_CHANNELS,
        "overdue_follow_ups": coaching.overdue_follow_ups(team),
    }
    return TemplateResponse(request, "kpis/team.html", context)


@login_required
@page_exports(pdf_pages.adherence, ("adherence",))
def team_adherence(request, pk):
    """Real-time adherence: scheduled against actual activity, now, for one team."""
    team = access.get_team_for_user(request.user, pk)
    rows = live.adherence_now(team)
    if requested(request, "adherence"):
        return csv_response(
            csv_filename(team.name, "adherence", timezone.now()),
            ["agent", "status", "out_since", "scheduled", "scheduled_start", "scheduled_end",
             "state", "state_since", "adherence_today"],
            ([str(row["agent"]), row["status"], row["out_since"], row["activity"],
              row["activity_start"], row["activity_end"], row["state"], row["state_since"],
              row["adherence_today"]] for row in rows),
        )  # fmt: skip
    context = {
        "team": team,
        "rows": rows,
        "out_count": sum(1 for row in rows if row["status"] == "out"),
        "adherence_kpi": definitions.BY_KEY["adherence"],
        "refresh_seconds": 30,
    }
    return TemplateResponse(request, "kpis/adherence.html", context)


@login_required
@page_exports(pdf_pages.agent)
def agent_detail(request, pk):
    """One agent's KPIs over time against their team's; an agent sees only their own."""
    agent = access.get_agent_for_user(request.user, pk)
    filters = dashboards.parse_filters(request.GET)
    context = {"agent": agent, "filters": filters, "periods": dashboards.PERIODS,
               "data": dashboards.agent_page(agent, filters),
               "real_time": definitions.REAL_TIME_CHANNELS}  # fmt: skip
    return TemplateResponse(request, "kpis/agent.html", context)


@login_required
@role_required(MANAGER)
@page_exports(pdf_pages.targets, ("targets",))
def targets(request):
    """Every target with its status, value, distance and time left (managers)."""
    filters = dashboards.parse_filters(request.GET.copy() if request.GET else _this_month())
    rows = selectors.targets_status(request.user, filters.start, filters.end)
    if requested(request, "targets"):
        columns = ["kpi", "scope", "scope_name", "target", "warning_margin", "actual", "distance",
                   "status", "valid_from", "due_by", "days_left"]  # fmt: skip
        return csv_response(
            csv_filename("targets", filters.start, filters.end),
            columns,
            ([row[name] for name in columns] for row in rows),
        )
    colours = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", "no data": "#c9d6e3",
               "provisional": "#8a9bb0"}  # fmt: skip
    figure = charts.target_progress(
        [f"{row['label']} · {row['scope_name']}" for row in rows],
        [row["actual"] for row in rows],
        [row["target"] for row in rows],
        [colours[row["status"]] for row in rows],
    )
    context = {"rows": rows, "filters": filters, "periods": dashboards.PERIODS, "figure": figure}
    return TemplateResponse(request, "kpis/targets.html", context)


def _this_month():
    return QueryDict("period=month")


@login_required
@role_required(MANAGER, SUPERVISOR)
def wallboard(request):
    """The floor's live screen; `?tv=1` is the full-screen wall version."""
    user = request.user
    queues = text_filters(request.GET, "queue")
    teams = text_filters(request.GET, "team")
    numbers = live.live_numbers(user, queues=queues, teams=teams)
    if requested(request, "wallboard"):
        return csv_response(
            csv_filename("wallboard", *teams, *queues, numbers["as_of"]),
            WALLBOARD_COLUMNS,
            _wallboard_rows(numbers),
        )
    context = {
        "live": numbers,
        "tv": request.GET.get("tv") == "1",
        "queues": Queue.objects.visible_to(user).values_list("name", flat=True),
        "teams": access.visible_teams(user).values_list("name", flat=True),
        "selected_queues": queues,
        "selected_teams": teams,
        "targets": dashboards.page_targets(user, dashboards.today_filters(queues, teams)),
    }
    return render(request, "kpis/wallboard.html", context)


# The wallboard's three parts in one file, a row each, in the page's order: today so far
# (a value per number), the queues waiting now, the agents by state.
WALLBOARD_COLUMNS = ("section", "name", "value", "waiting", "longest_wait_seconds", "state",
                     "seconds_in_state")  # fmt: skip


def _wallboard_rows(numbers):
    for name, value in numbers["today"].items():
        yield ["today", name, value, None, None, None, None]
    for name, value in (numbers["team_today"] or {}).items():
        yield ["team today", name, value, None, None, None, None]
    for row in numbers["queues"]:
        yield ["waiting", row["queue"], None, row["waiting"], row["longest_wait_seconds"], None,
               None]  # fmt: skip
    for state, members in numbers["agents"].items():
        for member in members:
            yield ["agents", member["name"], None, None, None, state, member["seconds_in_state"]]


@login_required
@role_required(MANAGER, SUPERVISOR)
def alert_list(request):
    """Open alerts (acknowledge them here) and the history of closed ones."""
    user = request.user
    if request.method == "POST":
        try:
            alerts.acknowledge(user, int(request.POST.get("alert", 0)))
        except (ValueError, Alert.DoesNotExist):
            raise Http404 from None
        return redirect("alerts")
    visible = alerts.visible_alerts(user)
    context = {
        "open_alerts": visible.filter(closed_at__isnull=True),
        "history": visible.filter(closed_at__isnull=False)[:100],
    }
    if requested(request, "open-alerts"):
        return csv_response(
            csv_filename("open-alerts", timezone.now()),
            ["opened_at", "rule", "message", "acknowledged_by", "acknowledged_at"],
            ([alert.opened_at, alert.rule.name, alert.message, alert.acknowledged_by,
              alert.acknowledged_at] for alert in context["open_alerts"]),
        )  # fmt: skip
    if requested(request, "alert-history"):
        return csv_response(
            csv_filename("alert-history", timezone.now()),
            ["opened_at", "closed_at", "rule", "message"],
            ([alert.opened_at, alert.closed_at, alert.rule.name, alert.message]
             for alert in context["history"]),
        )  # fmt: skip
    return render(request, "kpis/alerts.html", context)


@login_required
@role_required(MANAGER, SUPERVISOR)
@page_exports(pdf_pages.leaderboard, ("agents", "teams"))
def leaderboard(request):
    """The center's agents and team against team, ranked by one KPI (managers, supervisors)."""
    user = request.user
    filters = dashboards.parse_filters(request.GET)
    kpi = leaderboards.chosen_kpi(request.GET.get("kpi"))
    if requested(request, "agents"):
        board = leaderboards.agent_board(user, filters.start, filters.end, kpi)
        return csv_response(
            csv_filename("leaderboard-agents", kpi.key, filters.start, filters.end),
            *leaderboards.agent_csv(board),
        )
    if requested(request, "teams"):
        board = leaderboards.team_board(user, filters.start, filters.end, kpi)
        return csv_response(
            csv_filename("leaderboard-teams", kpi.key, filters.start, filters.end),
            *leaderboards.team_csv(board),
        )
    agents = leaderboards.agent_board(user, filters.start, filters.end, kpi)
    context = {
        "filters": filters,
        "periods": dashboards.PERIODS,
        "kpi": kpi,
        "kpis": [definitions.BY_KEY[key] for key in leaderboards.RANKABLE_KPIS],
        "agents": agents,
        "teams": leaderboards.team_board(user, filters.start, filters.end, kpi),
        # A supervisor's board may hold an agent who has since moved to another team.
        "agent_links": set(
            access.visible_agents(user)
            .filter(pk__in=[row["pk"] for row in agents.rows])
            .values_list("pk", flat=True)
        ),
    }
    return TemplateResponse(request, "kpis/leaderboard.html", context)
