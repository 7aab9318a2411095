from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from agents import access
from interactions import imports
from interactions.forms import ImportForm
from interactions.models import ImportJob
from interactions.tasks import run_import

REJECTED_SHOWN = 200


def _require_importer(user):
    if not access.is_manager(user):
        raise PermissionDenied("Importing contacts is for managers and administrators.")


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    _require_importer(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = ImportJob.objects.create(
            file=upload,
            original_name=upload.name[:255],
            format=form.cleaned_data["format"],
            source=form.cleaned_data["source"],
            dry_run=form.cleaned_data["dry_run"],
            bytes_total=upload.size,
            created_by=request.user,
        )
        transaction.on_commit(lambda: run_import.delay(job.pk))
        return redirect("import-detail", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:50]
    return render(request, "interactions/import_list.html", {"form": form, "jobs": jobs})


@login_required
def import_detail(request, pk):
    _require_importer(request.user)
    job = get_object_or_404(ImportJob, pk=pk)
    context = {"job": job, "rejected": job.rejected_lines[:REJECTED_SHOWN]}
    return render(request, "interactions/import_detail.html", context)


@login_required
def import_status(request, pk):
    """Progress for the detail page's polling."""
    _require_importer(request.user)
    job = get_object_or_404(ImportJob, pk=pk)
    return JsonResponse(
        {
            "status": job.status,
            "percent": job.percent,
            "finished": job.finished,
            "summary": job.summary,
            "error": job.error,
        }
    )


@login_required
def import_rejected_csv(request, pk):
    _require_importer(request.user)
    job = get_object_or_404(ImportJob, pk=pk)
    response = HttpResponse(
        imports.rejected_lines_csv(job.rejected_lines), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="rejected-lines-{job.pk}.csv"'
    return response
