"""A schedule import's progress: the job page (polling its status until finished) and
the rejected rows as CSV. The upload form is scheduling.views.schedule_import.

A job is seen through its team: another team's is a 404, as the team's pages are.
"""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

from agents import access
from core.exports import csv_response
from scheduling.models import ScheduleImportJob

REJECTED_SHOWN = 200
REJECTED_COLUMNS = ("line", "agent", "reason")


def _job(user, pk) -> ScheduleImportJob:
    job = _visible_job(user, pk)
    job.fail_if_stale()
    return job


def _visible_job(user, pk) -> ScheduleImportJob:
    return get_object_or_404(
        ScheduleImportJob.objects.select_related("team", "created_by").filter(
            team__in=access.editable_teams(user)
        ),
        pk=pk,
    )


@login_required
def schedule_import_detail(request, pk):
    job = _job(request.user, pk)
    context = {"job": job, "team": job.team, "rejected": job.rejected_lines[:REJECTED_SHOWN]}
    return render(request, "scheduling/import_detail.html", context)


@login_required
def schedule_import_status(request, pk):
    """Progress for the job page's polling, which stops once `finished` is true."""
    job = _job(request.user, pk)
    return JsonResponse(
        {
            "status": job.status,
            "percent": job.percent,
            "finished": job.finished,
            "rows_total": job.rows_total,
            "rows_done": job.rows_done,
            "summary": job.summary,
            "error": job.error,
        }
    )


@login_required
def schedule_import_rejected_csv(request, pk):
    job = _job(request.user, pk)
    return csv_response(f"rejected-rows-{job.pk}.csv", REJECTED_COLUMNS, job.rejected_lines)
