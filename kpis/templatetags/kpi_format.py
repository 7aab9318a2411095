"""Showing KPI values the way people read them."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from agents.models import AgentState
from kpis.durations import duration

register = template.Library()


@register.filter
def kpi_value(value, kpi):
    """Rounded for display by the KPI's unit; an empty ratio is a dash."""
    if value is None:
        return "–"
    unit = kpi.unit if hasattr(kpi, "unit") else kpi
    if unit == "count":
        return intcomma(int(value))
    if unit == "percent":
        return f"{value:.1f} %"
    if unit == "seconds":
        return duration(value)
    if unit == "currency":
        return f"{value:,.2f}"
    if unit == "score":
        return f"{value:.0f}"
    return f"{value:.1f}"


@register.filter
def signed(value, decimals=1):
    return f"{value:+.{int(decimals)}f}"


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes them)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    return params.urlencode()


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def hours(value):
    """A duration (or seconds) as hours: '37.5 h'; a dash for none."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else float(value)
    return f"{seconds / 3600:.1f} h"


@register.filter
def state_label(state):
    """'after_contact_work' -> 'After contact work' (the agent-state choice's label)."""
    return AgentState(state).label if state in AgentState.values else state


@register.simple_tag
def drill_url(kpi=None, start=None, end=None, **scope):
    """The link behind a figure: a KPI's drill-down (kpis.dashboards.drill_href), or with
    no KPI the contacts of the period and scope; '' when none."""
    from kpis.dashboards import contacts_url, drill_href

    if kpi is None:
        return contacts_url(start, end, **scope)
    return drill_href(kpi, start, end, **scope) or ""
