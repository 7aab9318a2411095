"""The browser preview of a subscription's next mail: the HTML as it will go, its
charts inline as data: URIs instead of cid: parts."""

import base64

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from core.localtime import local_today
from core.roles import AGENT, MANAGER, SUPERVISOR, role_required
from reports import render as report_render
from reports import selectors


@login_required
@role_required(MANAGER, SUPERVISOR, AGENT)
def report_preview(request, pk):
    """Its recipient's report for the period the next send covers; only a manager, its
    recipient or its maker may look (anyone else: 404)."""
    subscription = get_object_or_404(selectors.subscriptions_for(request.user), pk=pk)
    first, last = selectors.period_of(subscription.frequency, local_today())
    context = {"subscription": subscription, "first": first, "last": last}
    problem = selectors.access_problem(
        subscription.recipient, subscription.kind, subscription.params
    )
    if problem:
        context["problem"] = problem
        return render(request, "reports/preview.html", context)
    rendered = report_render.render_report(
        subscription.kind, subscription.params, subscription.recipient, first, last
    )
    html = rendered.html
    for cid, image in rendered.images:
        data = base64.b64encode(image).decode("ascii")
        html = html.replace(f'src="cid:{cid}"', f'src="data:image/png;base64,{data}"')
    context.update(rendered=rendered, html=html)
    return render(request, "reports/preview.html", context)
