from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from core import roles
from core.exports import csv_filename, csv_response, requested
from core.localtime import local_today
from core.pdf import page_exports
from core.roles import MANAGER, SUPERVISOR, role_required
from forecasting import dashboards, pdf_pages, services
from forecasting.models import ForecastRun
from interactions.models import Queue

FORBIDDEN = "Forecasts are for managers and supervisors."


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
@page_exports(pdf_pages.forecast, ("week",))
def forecast_page(request):
    """A queue's or a queue group's forecast, how it did, how it is made, the last run."""
    user = request.user
    today = local_today()
    queues, groups = dashboards.options(user)
    selection = dashboards.select(request.GET, queues, groups)
    week, week_errors = dashboards.week_of(request.GET, today)
    context = {"queues": queues, "groups": groups, "selection": selection, "week": week,
               "today": today, "errors": week_errors + (selection.errors if selection else [])}  # fmt: skip
    if selection is None:
        return TemplateResponse(request, "forecasting/forecast.html", context)
    data = dashboards.page(user, selection, week, today)
    if requested(request, "week"):
        header, rows = dashboards.table_csv(data["table"], week)
        return csv_response(csv_filename("forecast", selection.name, week), header, rows)
    run = data["run"]
    context.update(
        data=data,
        run_range=dashboards.run_range(run) if run else None,
        previous_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7),
        history_weeks=dashboards.HISTORY_WEEKS,
        max_weeks=services.MAX_WEEKS,
    )
    return TemplateResponse(request, "forecasting/forecast.html", context)


@login_required
@role_required(MANAGER, forbidden="Only managers may start a forecast run.")
@require_POST
def forecast_now(request):
    """The "Forecast now" button: a run of every active queue (or the queue posted) on
    the worker; its page shows the progress."""
    queue = None
    if request.POST.get("queue"):
        queue = get_object_or_404(Queue, name=request.POST["queue"])
    run = services.request_run(user=request.user, queue=queue)
    return redirect("forecast-run", pk=run.pk)


def _run_for(user, pk) -> ForecastRun:
    """A run the user may look at: a supervisor, one of every queue or of a queue they
    may see."""
    run = get_object_or_404(ForecastRun.objects.select_related("queue", "requested_by"), pk=pk)
    if run.queue_id and not Queue.objects.visible_to(user).filter(pk=run.queue_id).exists():
        raise Http404
    run.fail_if_stale()  # a run whose worker died ends here, not polled forever
    return run


def _summary(user, run: ForecastRun) -> list[dict]:
    if roles.is_manager(user):
        return run.summary or []
    names = set(Queue.objects.visible_to(user).values_list("name", flat=True))
    return [row for row in run.summary or [] if row.get("queue") in names]


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def run_detail(request, pk):
    run = _run_for(request.user, pk)
    context = {
        "run": run,
        "run_range": dashboards.run_range(run),
        "summary": [
            {
                **row,
                "method_label": dashboards.METHOD_LABELS.get(row.get("method"), row.get("method")),
            }
            for row in _summary(request.user, run)
        ],
    }
    return render(request, "forecasting/run.html", context)


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def run_status(request, pk):
    """Progress for the run page's polling; `finished` (done or failed) ends it."""
    run = _run_for(request.user, pk)
    return JsonResponse(
        {
            "status": run.status,
            "percent": run.percent,
            "finished": run.finished,
            "queues_done": run.queues_done,
            "queues_total": run.queues_total,
            "error": run.error,
        }
    )
