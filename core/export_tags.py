"""`{% export_links 'table' %}`: a table's CSV link and its .xlsx beside it (core/exports.py).

A template builtin (settings.TEMPLATES), so every page has it without a `{% load %}`.
`{% export_links 'series' 'button' %}` draws them as buttons (any class: 'chip'); `{% pdf_link %}` is the
page's own PDF (core/pdf.py). Both keep the page's filters and drop its paging.
"""

from django import template
from django.utils.html import format_html

register = template.Library()

DROPPED = ("export", "page", "format")


def _href(request, export: str) -> str:
    params = request.GET.copy()
    for key in DROPPED:
        params.pop(key, None)
    params["export"] = export
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def export_links(context, table, style="small"):
    request = context["request"]
    css = style
    csv_label, xlsx_label = ("CSV", ".xlsx") if style == "small" else ("Export CSV", "Export .xlsx")
    return format_html(
        '<a class="{}" href="{}" download>{}</a> <a class="{}" href="{}" download>{}</a>',
        css, _href(request, table), csv_label, css, _href(request, table + ".xlsx"), xlsx_label,
    )  # fmt: skip


@register.simple_tag(takes_context=True)
def pdf_link(context):
    return format_html(
        '<a class="button no-print" href="{}" download>Download PDF</a>',
        _href(context["request"], "pdf"),
    )
