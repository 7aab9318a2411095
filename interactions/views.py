from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from core.exports import csv_response, requested
from core.filters import text_filters
from core.roles import MANAGER, role_required
from interactions import imports, outcomes, records, selectors, services
from interactions.forms import ImportForm
from interactions.models import ImportJob, Interaction, Survey

REJECTED_SHOWN = 200


IMPORTERS_ONLY = "Importing contacts is for managers and administrators."
importers_only = role_required(MANAGER, forbidden=IMPORTERS_ONLY)


@login_required
@importers_only
@require_http_methods(["GET", "POST"])
def import_list(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = services.import_job_create(
            upload=form.cleaned_data["file"],
            format=form.cleaned_data["format"],
            source=form.cleaned_data["source"],
            dry_run=form.cleaned_data["dry_run"],
            by=request.user,
        )
        return redirect("import-detail", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:50]
    return render(request, "interactions/import_list.html", {"form": form, "jobs": jobs})


@login_required
@importers_only
def import_detail(request, pk):
    job = get_object_or_404(ImportJob, pk=pk)
    job.fail_if_stale()  # a job whose worker died ends here, not polled forever
    context = {"job": job, "rejected": job.rejected_lines[:REJECTED_SHOWN]}
    return render(request, "interactions/import_detail.html", context)


@login_required
@importers_only
def import_status(request, pk):
    """Progress for the detail page's polling; `finished` (done or failed) ends it."""
    job = get_object_or_404(ImportJob, pk=pk)
    job.fail_if_stale()
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
@importers_only
def import_rejected_csv(request, pk):
    job = get_object_or_404(ImportJob, pk=pk)
    return csv_response(
        f"rejected-lines-{job.pk}.csv", imports.REJECTED_COLUMNS, job.rejected_lines
    )


# The contract's fields, and the team the contact was taken in: a file that imports again
# (queue, agent and team by the names the import reads).
CONTACT_COLUMNS = (*records.CONTACT_FIELDS, "team")
CONTACT_VALUES = tuple(
    {"queue": "queue__name", "agent": "agent__login", "team": "team__name"}.get(name, name)
    for name in CONTACT_COLUMNS
)


def _contact_filters(params):
    try:
        start = date.fromisoformat(params["start"]) if params.get("start") else None
        end = date.fromisoformat(params["end"]) if params.get("end") else None
    except ValueError:
        start = end = None
    return {
        "start": start,
        "end": end,
        "queues": list(text_filters(params, "queue")),
        "agents": list(text_filters(params, "agent")),
        "teams": list(text_filters(params, "team")),
        "channels": list(text_filters(params, "channel")),
    }


@login_required
def contact_list(request):
    """The contacts behind a number: filtered, sortable, paginated, exportable."""
    params = request.GET
    filters = _contact_filters(params)
    contacts = selectors.contacts_for(request.user, **filters)
    outcome = params.get("outcome", "")
    rules = outcomes.rules()
    if outcome in rules:
        contacts = contacts.filter(rules[outcome])
    # A ratio's drill-down lists its denominator's contacts and counts its numerator's.
    counted = params.get("counted", "")
    counted_count = None
    if counted in rules:
        counted_count = contacts.filter(rules[counted]).count()
        # Each row says whether it counts in the numerator (a repeat, a CSAT of 3, ...).
        contacts = contacts.annotate(
            counted=ExpressionWrapper(rules[counted], output_field=BooleanField())
        )
    sort = params.get("sort", "-arrived")
    field = selectors.SORTS.get(sort.lstrip("-"), "arrived_at")
    contacts = contacts.order_by(f"-{field}" if sort.startswith("-") else field, "-id")
    # format=csv is how the export was asked for before every table's ?export=<table>.
    if requested(request, "contacts") or params.get("format") == "csv":
        return csv_response(
            "contacts.csv",
            CONTACT_COLUMNS,
            contacts.values_list(*CONTACT_VALUES).iterator(chunk_size=2000),
        )
    # The table shows no transcript: 50 of them may weigh megabytes.
    page = Paginator(contacts.defer("transcript"), 50).get_page(params.get("page"))
    context = {"page": page, "filters": filters, "outcome": outcome, "sort": sort,
               "outcomes": outcomes.LABELS, "outcome_label": outcomes.LABELS.get(outcome),
               "counted_label": outcomes.LABELS.get(counted), "counted_count": counted_count}  # fmt: skip
    return render(request, "interactions/contact_list.html", context)


@login_required
def contact_detail(request, pk):
    contact = get_object_or_404(
        Interaction.objects.visible_to(request.user).select_related("queue", "agent", "team"), pk=pk
    )
    survey = Survey.objects.filter(interaction=contact).first()
    return render(
        request, "interactions/contact_detail.html", {"contact": contact, "survey": survey}
    )
