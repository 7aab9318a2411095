"""A report as a mail: its numbers from the same reads the pages use, its charts as
inline PNG images of the same Plotly figures (core.chart_images), and sending it.

`render_report` reads for one user over [first_day, last_day] (a supervisor's report
holds only their teams, an agent's only themselves: the dashboards' own scoping), and
raises ReportUnavailable when the user may no longer see what the report is about.
`send` builds the mail: text, and HTML whose images are related parts of it
(multipart/alternative [text/plain, multipart/related [text/html, image/png...]]).
"""

from dataclasses import dataclass, field, replace
from datetime import date
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from agents import access
from core import chart_images, roles
from core.localtime import local_today
from forecasting import accuracy
from interactions.models import Queue
from kpis import charts, dashboards, definitions
from kpis.selectors import PROVISIONAL, kpi_series, target_status, targets_for, targets_status
from kpis.templatetags.kpi_format import kpi_value
from reports import params as report_params

# The tiles a mail shows (the page shows every KPI; a mail keeps to the headline ones).
OVERVIEW_TILES = ("offered", "answered", "service_level", "asa", "aht", "abandonment_rate",
                  "fcr", "csat", "occupancy", "adherence", "cost_per_contact")  # fmt: skip
OVERVIEW_CHARTS = ("offered", "service_level", "aht", "abandonment_rate")
AGENT_TILES = ("handled", "aht", "fcr", "csat", "occupancy", "adherence", "contacts_per_hour",
               "quality_score")  # fmt: skip
AGENT_CHARTS = ("handled", "aht", "csat", "adherence")
# Table headers a phone's width can hold (the page's abbreviations).
COLUMN_LABELS = {"asa": "ASA", "aht": "AHT", "fcr": "FCR", "csat": "CSAT",
                 "adherence": "Adherence", "occupancy": "Occupancy"}  # fmt: skip
# Teams answer contacts; offered, service level and abandonment belong to queues.
TEAM_TABLE_KPIS = ("answered", "asa", "aht", "fcr", "csat")
TEAM_AGENT_KPIS = ("handled", "aht", "fcr", "csat", "adherence")
CHART_SIZE = (560, 260)
STATUS_COLOURS = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00",
                  "no data": "#8a9bb0", "provisional": "#8a9bb0"}  # fmt: skip
STATUS_WORDS = {"green": "on target", "amber": "near target", "red": "off target",
                "no data": "no data", "provisional": "provisional"}  # fmt: skip


# Where the HTML mail's footer takes the recipient's own unsubscribe link.
UNSUBSCRIBE_MARK = "<!-- unsubscribe -->"


class ReportUnavailable(Exception):
    """The user may not (or no longer) see what the report is about."""


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    images: list = field(default_factory=list)  # [(content_id, png bytes)]
    url: str = ""


def period_label(first_day: date, last_day: date) -> str:
    if first_day == last_day:
        return f"{first_day:%a %-d %b %Y}"
    return f"{first_day:%-d %b} – {last_day:%-d %b %Y}"


def _filters(chosen: report_params.ReportParams, first_day, last_day, **changes):
    query = QueryDict(mutable=True)
    query.update({"period": "custom", "start": first_day.isoformat(),
                  "end": last_day.isoformat(), "compare": chosen.compare})  # fmt: skip
    for name, values in (("queue", chosen.queues), ("channel", chosen.channels),
                         ("team", changes.get("teams", chosen.teams))):  # fmt: skip
        query.setlist(name, list(values))
    return dashboards.parse_filters(query, today=max(local_today(), last_day)), query


def _live_url(name: str, query: QueryDict, *args, **extra) -> str:
    query = query.copy()
    for key, value in extra.items():
        query[key] = value
    return f"{settings.SITE_URL.rstrip('/')}{reverse(name, args=args)}?{query.urlencode()}"


def _change_text(change, better) -> tuple[str, str]:
    if change is None:
        return "", "#52606d"
    colour = "#52606d" if better is None else "#007a5a" if better else "#b3261e"
    return f"{change['value']:+.1f} {change['unit']}", colour


def _tile(kpi, value, change=None, better=None, target=None, status=None) -> dict:
    change_text, change_colour = _change_text(change, better)
    return {
        "label": kpi.label,
        "value": kpi_value(value, kpi),
        "change": change_text,
        "change_colour": change_colour,
        "target": kpi_value(target.value, kpi) if target is not None else "",
        "status": STATUS_WORDS.get(status, ""),
        "status_colour": STATUS_COLOURS.get(status, "#c9d6e3"),
    }


def _charts(figures: list[dict], keys: tuple) -> tuple[list[dict], list]:
    """The chosen figures as inline images: [{cid, title, missing}], [(cid, png)]."""
    shown, images = [], []
    for item in figures:
        if item["key"] not in keys:
            continue
        figure = item["figure"]
        title = figure["layout"]["title"]["text"]
        cid = f"chart-{item['key']}@contactcenter"
        image = chart_images.png(figure, *CHART_SIZE)
        if image is not None:
            images.append((cid, image))
        shown.append({"cid": cid, "title": title, "missing": image is None})
    return shown, images


def _overview(user, chosen, first_day, last_day, **scope) -> dict:
    filters, query = _filters(chosen, first_day, last_day, **scope)
    tile_rows, spark, targets, compare, _served = dashboards.tiles(user, filters)
    tiles = []
    for row in tile_rows:
        kpi = row["kpi"]
        if kpi.key not in OVERVIEW_TILES or row["not_applicable"]:
            continue
        if row["split"]:  # waits per kind of channel, as the page shows them
            tiles += [_tile(replace(kpi, label=f"{kpi.label} · {label}"), row["split"][group])
                      for group, label in dashboards.CHANNEL_GROUPS.items()]  # fmt: skip
            continue
        tiles.append(_tile(kpi, row["value"], row["change"], row["better"], row["target"],
                           row["status"]))  # fmt: skip
    figures = dashboards.trend_charts(spark, targets)
    shown, images = _charts(figures, OVERVIEW_CHARTS)
    teams = dashboards.breakdown(user, filters, "team")
    table = _table("By team", "Team", [row["name"] for row in teams],
                   [row["kpis"] for row in teams], TEAM_TABLE_KPIS)  # fmt: skip
    return {"tiles": tiles, "charts": shown, "images": images, "tables": [table] if teams else [],
            "compare": compare["label"], "query": query, "filters": filters}  # fmt: skip


def _table(title: str, first: str, names: list, values: list[dict], keys) -> dict:
    kpis = [definitions.BY_KEY[key] for key in keys]
    return {
        "title": title,
        "columns": [first, *(COLUMN_LABELS.get(kpi.key, kpi.label) for kpi in kpis)],
        "rows": [
            [name, *(kpi_value(row.get(kpi.key), kpi) for kpi in kpis)]
            for name, row in zip(names, values, strict=True)
        ],
    }


def _one_team(user, chosen):
    team = access.visible_teams(user).filter(name=chosen.teams[0]).first()
    if team is None:
        raise ReportUnavailable(f"{user} may not see the team {chosen.teams[0]!r}.")
    return team


def _report_overview(user, chosen, first_day, last_day) -> dict:
    if not (roles.is_manager(user) or roles.is_supervisor(user)):
        raise ReportUnavailable(f"{user} is neither a manager nor a supervisor.")
    body = _overview(user, chosen, first_day, last_day)
    scope = ", ".join(chosen.teams) if chosen.teams else None
    if scope is None and not roles.is_manager(user):
        scope = ", ".join(access.visible_teams(user).values_list("name", flat=True))
    body["title"] = f"Overview · {scope}" if scope else "Center overview"
    body["url"] = _live_url("overview", body["query"])
    return body


def _report_team(user, chosen, first_day, last_day) -> dict:
    team = _one_team(user, chosen)
    body = _overview(user, chosen, first_day, last_day, teams=(team.name,))
    page = dashboards.team_page(team, body["filters"], None)
    comparison = {
        "title": f"{team.name} against the center",
        "columns": ["KPI", team.name, "Center"],
        "rows": [
            [f"{row['kpi'].label} {row['channels']}".strip(), kpi_value(row["team"], row["kpi"]),
             kpi_value(row["center"], row["kpi"])]
            for row in page["comparison"]
        ],
    }  # fmt: skip
    agents = page["agents"]
    body["tables"] = [comparison, _table("Agents", "Agent", [row["login"] for row in agents],
                                         [row["kpis"] for row in agents], TEAM_AGENT_KPIS)]  # fmt: skip
    body["title"] = f"Team {team.name}"
    body["url"] = _live_url("team-detail", body["query"], team.pk)
    return body


def _report_agent(user, chosen, first_day, last_day) -> dict:
    agent = access.visible_agents(user).filter(login=chosen.agent).select_related("team").first()
    if agent is None:
        raise ReportUnavailable(f"{user} may not see the agent {chosen.agent!r}.")
    filters, query = _filters(chosen, first_day, last_day, teams=())
    page = dashboards.agent_page(agent, filters)
    before_request = replace(dashboards.comparison(filters)["before"], agents=(agent.login,),
                             teams=(), queues=(), channels=(), kpis=dashboards.AGENT_KPIS)  # fmt: skip
    [before] = kpi_series(None, before_request)
    targets = targets_for(first_day, last_day, agent=agent)
    tiles = []
    for key in AGENT_TILES:
        kpi = definitions.BY_KEY[key]
        value, earlier = page["total"][key], before["kpis"][key]
        target = targets.get(key)
        status = target_status(kpi, target.value, target.warning_margin, value) if target else None
        if key in page["provisional"] and status not in (None, "no data"):
            status = PROVISIONAL  # as the agent's page says: not judged yet
        tiles.append(_tile(kpi, value, dashboards._change(kpi, value, earlier),
                           dashboards._better(kpi, value, earlier), target, status))  # fmt: skip
    shown, images = _charts(page["figures"], AGENT_CHARTS)
    return {"title": f"{agent.display_name or agent.login}", "tiles": tiles, "charts": shown,
            "images": images, "tables": [], "compare": None,
            "url": _live_url("agent-detail", query, agent.pk)}  # fmt: skip


def _report_targets(user, chosen, first_day, last_day) -> dict:
    rows = targets_status(user, first_day, last_day)
    if chosen.teams:
        rows = [row for row in rows if row["scope"] != "team" or row["scope_name"] in chosen.teams]
    figure = charts.target_progress(
        [f"{row['label']} · {row['scope_name']}" for row in rows],
        [row["actual"] for row in rows],
        [row["target"] for row in rows],
        [STATUS_COLOURS[row["status"]] for row in rows],
    )
    shown, images = (
        _charts([{"key": "targets", "figure": figure}], ("targets",)) if rows else ([], [])
    )
    table = {
        "title": "Targets",
        "columns": ["KPI", "Scope", "Target", "Actual", "Status"],
        "rows": [
            [row["label"], row["scope_name"],
             kpi_value(row["target"], definitions.BY_KEY[row["kpi"]]),
             kpi_value(row["actual"], definitions.BY_KEY[row["kpi"]]), STATUS_WORDS[row["status"]]]
            for row in rows
        ],
    }  # fmt: skip
    query = _filters(chosen, first_day, last_day)[1]
    return {"title": "Targets", "tiles": [], "charts": shown, "images": images,
            "tables": [table], "compare": None, "url": _live_url("targets", query)}  # fmt: skip


def _report_adherence(user, chosen, first_day, last_day) -> dict:
    team = _one_team(user, chosen)
    filters, query = _filters(chosen, first_day, last_day, teams=(team.name,))
    page = dashboards.team_page(team, filters, None)
    kpi = definitions.BY_KEY["adherence"]
    mine = next(row for row in page["comparison"] if row["kpi"].key == "adherence")
    target = targets_for(first_day, last_day, team=team).get("adherence")
    status = (
        target_status(kpi, target.value, target.warning_margin, mine["team"]) if target else None
    )
    agents = page["agents"]
    return {
        "title": f"Adherence · {team.name}",
        "tiles": [_tile(kpi, mine["team"], target=target, status=status)],
        "charts": [],
        "images": [],
        "tables": [_table("Agents", "Agent", [row["login"] for row in agents],
                          [row["kpis"] for row in agents], ("adherence", "occupancy", "handled"))],
        "compare": None,
        "url": f"{settings.SITE_URL.rstrip('/')}{reverse('team-adherence', args=[team.pk])}",
    }  # fmt: skip


def _report_forecast_accuracy(user, chosen, first_day, last_day) -> dict:
    if not (roles.is_manager(user) or roles.is_supervisor(user)):
        raise ReportUnavailable(f"{user} is neither a manager nor a supervisor.")
    queues = Queue.objects.visible_to(user).order_by("name")
    if chosen.queues:
        queues = queues.filter(name__in=chosen.queues)
    rows = [row for row in accuracy.accuracy(queues, first_day, last_day) if row["days"]]

    def percent(value):
        return "–" if value is None else f"{100 * value:.1f} %"

    table = {
        "title": "Forecast against actual offered contacts",
        "columns": ["Queue", "Forecast", "Actual", "WAPE (days)", "Bias (days)",
                    "WAPE (15 min)"],
        "rows": [
            [row["queue"].name, f"{row['day']['forecast']:.0f}", f"{row['day']['actual']:.0f}",
             percent(row["day"]["wape"]), percent(row["day"]["bias"]),
             percent(row["interval"]["wape"])]
            for row in rows
        ],
    }  # fmt: skip
    return {"title": "Forecast accuracy", "tiles": [], "charts": [], "images": [],
            "tables": [table], "compare": None,
            "url": f"{settings.SITE_URL.rstrip('/')}{reverse('forecast')}"}  # fmt: skip


BUILDERS = {
    "overview": _report_overview,
    "team": _report_team,
    "agent": _report_agent,
    "targets": _report_targets,
    "adherence": _report_adherence,
    "forecast_accuracy": _report_forecast_accuracy,
}


def render_report(kind: str, params: str, user, first_day: date, last_day: date) -> Rendered:
    """The mail of a report of `kind` with `params` (a page's query string) for `user`
    over the local days [first_day, last_day]. ValidationError for bad params,
    ReportUnavailable when the user may not see its scope."""
    chosen = report_params.parse(kind, params)
    body = BUILDERS[kind](user, chosen, first_day, last_day)
    period = period_label(first_day, last_day)
    context = {**body, "period": period, "user": user, "site_url": settings.SITE_URL}
    return Rendered(
        subject=f"{body['title']} · {period}",
        text=render_to_string("reports/mail/report.txt", context),
        html=render_to_string("reports/mail/report.html", context),
        images=body["images"],
        url=body["url"],
    )


class _RelatedMail(EmailMultiAlternatives):
    """An HTML alternative with its images beside it in a multipart/related part."""

    def __init__(self, *args, images=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.images = list(images)

    def message(self):
        msg = super().message()
        if not self.images:
            return msg
        text, html = msg.get_payload()
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding)
        related.attach(html)
        for cid, data in self.images:
            image = MIMEImage(data, "png")
            image.add_header("Content-ID", f"<{cid}>")
            image.add_header("Content-Disposition", "inline", filename=f"{cid.split('@')[0]}.png")
            related.attach(image)
        msg.set_payload([text, related])
        return msg


def send(rendered: Rendered, to_email: str, unsubscribe_url: str) -> None:
    """Send the report through Django's e-mail backend (errors propagate to the caller)."""
    mail = _RelatedMail(
        subject=rendered.subject,
        body=f"{rendered.text}\n\nUnsubscribe: {unsubscribe_url}\n",
        to=[to_email],
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>"},
        images=rendered.images,
    )
    link = f'<a href="{escape(unsubscribe_url)}" style="color:#52606d">Unsubscribe</a>'
    mail.attach_alternative(rendered.html.replace(UNSUBSCRIBE_MARK, link), "text/html")
    mail.send()
