import json
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from core.exports import csv_filename, csv_response, requested
from core.localtime import local_today
from core.pdf import page_exports
from core.roles import MANAGER, SUPERVISOR, role_required
from staffing import dashboards, pdf_pages

FORBIDDEN = "Staffing is for managers and supervisors."


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
@page_exports(pdf_pages.coverage, ("intervals",))
def coverage_page(request):
    """A team's, queue group's or queue's week: agents required against agents
    scheduled per 15 minutes, the totals, the assumptions, the intervals and their CSV."""
    user = request.user
    teams, queues, groups = dashboards.options(user)
    scope = dashboards.select(request.GET, teams, queues, groups)
    week, week_errors = dashboards.week_of(request.GET, local_today())
    model = dashboards.model_of(request.GET)
    context = {
        "teams": teams, "queues": queues, "groups": groups, "scope": scope, "week": week,
        "model": model, "model_label": dashboards.MODEL_LABELS[model],
        "model_labels": dashboards.MODEL_LABELS,
        "errors": week_errors + (scope.errors if scope else []),
    }  # fmt: skip
    if scope is None or not scope.queues:
        return TemplateResponse(request, "staffing/coverage.html", context)
    data = dashboards.coverage(user, scope, week, model)
    if requested(request, "intervals"):
        header, rows = dashboards.intervals_csv(data["starts"], data["columns"], model)
        return csv_response(csv_filename("coverage", scope.name, week, model), header, rows)
    context.update(
        data=data,
        previous_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7),
    )
    return TemplateResponse(request, "staffing/coverage.html", context)


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def whatif_page(request):
    """The what-if: inputs prefilled from a queue's stored forecast for an interval or a
    day; whatif.js asks the staffing API for both models as the user types."""
    queues = dashboards.visible_queues(request.user)
    prefill, errors = dashboards.whatif_prefill(request.GET, queues, local_today())
    context = {
        "queues": queues,
        "prefill": prefill,
        "fields": dashboards.whatif_fields(prefill),
        "result_rows": dashboards.RESULT_ROWS,
        "clocks": dashboards.clock_options(),
        "errors": errors,
    }
    return render(request, "staffing/whatif.html", context)


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
@require_POST
def whatif_curve(request):
    """The what-if's curve: the service level of every head count around the answer,
    both models, for the inputs posted (the calculate API's JSON). 400 names the field."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"detail": "The body should be a JSON object."}, status=400)
    curve, errors = dashboards.whatif_curve(body)
    if errors:
        return JsonResponse(errors, status=400)
    return JsonResponse(curve)
