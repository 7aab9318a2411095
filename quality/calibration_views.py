"""Calibration pages: the list, a new calibration for a contact, the blind scoring form
and, once revealed, the comparison. Managers and supervisors only (agents get a 403)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.exports import csv_filename, csv_response, requested
from core.roles import MANAGER, SUPERVISOR, is_manager, role_required
from quality import access, calibration
from quality.forms import AnswersForm

FORBIDDEN = "Calibrations are for supervisors and managers."


class CalibrationForm(forms.Form):
    contact = forms.IntegerField(min_value=1, help_text="The contact's number.")
    evaluators = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, help_text="At least two."
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["evaluators"].queryset = calibration.possible_evaluators()

    def clean_contact(self):
        contact = access.evaluable_contacts(self.user).filter(pk=self.cleaned_data["contact"])
        if not contact:
            raise ValidationError("No handled contact with this number that you may evaluate.")
        return contact.get()


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def calibration_list(request):
    rows = calibration.with_progress(calibration.calibrations_for(request.user))
    if requested(request, "calibrations"):
        return csv_response(
            csv_filename("calibrations"),
            ["calibration", "contact", "scorecard", "created_by", "created_at", "evaluators",
             "scored", "closed_at"],
            ([row.pk, row.contact_id, str(row.version), row.created_by, row.created_at,
              row.evaluator_count, row.scored_count or 0, row.closed_at] for row in rows),
        )  # fmt: skip
    return render(request, "quality/calibration_list.html", {"rows": rows})


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def calibration_new(request):
    """A calibration of a contact (?contact=<number>) the user may evaluate."""
    if request.method == "POST":
        form = CalibrationForm(request.user, request.POST)
        if form.is_valid():
            try:
                created = calibration.calibration_create(
                    request.user,
                    form.cleaned_data["contact"],
                    form.cleaned_data["evaluators"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Calibration created: each evaluator scores it blind.")
                return redirect("calibration-detail", created.pk)
        status = 400
    else:
        initial = {"contact": request.GET.get("contact", ""), "evaluators": [request.user.pk]}
        form = CalibrationForm(request.user, initial=initial)
        status = 200
    return render(request, "quality/calibration_new.html", {"form": form}, status=status)


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def calibration_detail(request, pk):
    """Before the reveal: who has scored, and the user's own scoring form or score.
    After: every evaluator's score, the spread per question and who drifts."""
    item = get_object_or_404(calibration.calibrations_for(request.user), pk=pk)
    is_evaluator = item.evaluators.filter(pk=request.user.pk).exists()
    mine = item.evaluations.filter(evaluator=request.user).first()
    form = AnswersForm(request.POST or None, version=item.version, require_all=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                calibration.calibration_score(
                    request.user, item, form.replies(), form.cleaned_data["comment"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your scoring is in.")
                return redirect("calibration-detail", item.pk)
        status = 400
    revealed = calibration.is_revealed(item)
    scored = {e.evaluator_id: e for e in calibration.scored_evaluations(item)}
    result = calibration.comparison(item) if revealed else None
    if revealed and requested(request, "spread"):
        people = [row["evaluation"].evaluator for row in result.evaluators]
        return csv_response(
            csv_filename("calibration", item.pk, "spread"),
            ["question", "section", *[u.get_username() for u in people], "min", "max", "std"],
            ([row["question"].text, row["question"].section.title, *row["shares"], row["min"],
              row["max"], row["std"]] for row in result.questions),
        )  # fmt: skip
    context = {
        "item": item,
        "can_score": is_evaluator and mine is None and not item.closed_at,
        "can_close": item.closed_at is None
        and (item.created_by_id == request.user.pk or is_manager(request.user)),
        "revealed": revealed,
        "evaluators": [(u, scored.get(u.pk)) for u in item.evaluators.order_by("username")],
        "result": result,
        "form": form,
    }
    return render(request, "quality/calibration_detail.html", context, status=status)


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
@require_POST
def calibration_close(request, pk):
    item = get_object_or_404(calibration.calibrations_for(request.user), pk=pk)
    try:
        calibration.calibration_close(request.user, item)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    messages.success(request, "Calibration closed: the comparison shows.")
    return redirect("calibration-detail", item.pk)
