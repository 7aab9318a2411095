"""Quality pages: evaluate a contact, an evaluation with its history (acknowledge,
dispute, resolve), the evaluations in reach, the agent's own, samples (docs/quality.md).

Thin: who may do what is quality.access, writes quality.services, reads
quality.selectors. A row out of the user's reach is a 404; a step their role may not take
(an agent scoring, a supervisor resolving) a 403. Nothing changes on either."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from agents.access import agent_of
from core.exports import csv_response, requested
from core.localtime import local_today, monday_of
from core.roles import AGENT, MANAGER, SUPERVISOR, has_role, role_required
from quality import access, selectors, services, versions
from quality.forms import AnswersForm, DisputeForm, ResolveForm, SampleForm
from quality.models import EvaluationStatus, SampleItem

EVALUATORS_ONLY = "Evaluating contacts is for supervisors and managers."
MANAGERS_ONLY = "Disputes are resolved by a manager."


def _form_errors(form, error: ValidationError):
    """Put a service's ValidationError on the form's fields (or the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _version(contact):
    """The scorecard version a new evaluation of `contact` uses, or None when no active
    scorecard applies to its channel and queue."""
    scorecard = versions.scorecard_for(contact)
    return versions.current_version(scorecard) if scorecard else None


@login_required
@role_required(SUPERVISOR, MANAGER, AGENT)
def quality_home(request):
    """The Quality link: evaluators see their teams' evaluations, agents their own."""
    if has_role(request.user, SUPERVISOR, MANAGER):
        return evaluation_list(request)
    return redirect("quality-mine")


def evaluation_list(request):
    status = request.GET.get("status", "")
    sort = request.GET.get("sort", "-submitted")
    evaluations = selectors.evaluations_for(request.user, status=status, sort=sort)
    if requested(request, "evaluations"):
        return csv_response(
            "evaluations.csv",
            selectors.EVALUATION_COLUMNS,
            evaluations.values_list(*selectors.EVALUATION_VALUES).iterator(chunk_size=2000),
        )
    context = {
        "evaluations": evaluations[:500],
        "status": status,
        "sort": sort,
        "statuses": EvaluationStatus.choices,
        "samples": selectors.samples_for(request.user)[:20],
        "sample_form": SampleForm(
            teams=access.sample_teams(request.user),
            initial={"week": monday_of(local_today()) - timedelta(days=7)},  # the last whole week
        ),
        "has_agent": agent_of(request.user) is not None,
    }
    return render(request, "quality/evaluation_list.html", context)


@login_required
@role_required(AGENT, SUPERVISOR, MANAGER)
def my_evaluations(request):
    agent = agent_of(request.user)
    evaluations = selectors.own_evaluations(request.user)
    return render(
        request, "quality/my_evaluations.html", {"agent": agent, "evaluations": evaluations}
    )


@login_required
@role_required(SUPERVISOR, MANAGER, forbidden=EVALUATORS_ONLY)
@require_http_methods(["GET", "POST"])
def evaluate(request, contact_pk):
    """A new evaluation of the contact (or the evaluator's draft of it, continued)."""
    contact = get_object_or_404(
        access.evaluable_contacts(request.user).select_related("queue", "agent", "team"),
        pk=contact_pk,
    )
    draft = access.editable_drafts(request.user).filter(contact=contact).first()
    if draft is not None:
        return redirect("quality-evaluation-edit", pk=draft.pk)
    sample_item = None
    if request.GET.get("sample_item"):
        sample_item = SampleItem.objects.filter(
            pk=request.GET["sample_item"] if request.GET["sample_item"].isdigit() else None,
            contact=contact,
            sample__team__in=access.sample_teams(request.user),
        ).first()
    version = _version(contact)
    return _answer_page(request, contact=contact, version=version, sample_item=sample_item)


@login_required
@role_required(SUPERVISOR, MANAGER, forbidden=EVALUATORS_ONLY)
@require_http_methods(["GET", "POST"])
def evaluation_edit(request, pk):
    evaluation = get_object_or_404(access.editable_drafts(request.user), pk=pk)
    return _answer_page(
        request, contact=evaluation.contact, version=evaluation.version, evaluation=evaluation
    )


def _answer_page(request, *, contact, version, evaluation=None, sample_item=None):
    if version is None:
        return render(request, "quality/evaluate.html", {"contact": contact, "form": None},
                      status=400 if request.method == "POST" else 200)  # fmt: skip
    submit = request.POST.get("action") == "submit"
    form = AnswersForm(
        request.POST or None,
        version=version,
        answers=evaluation.answers.all() if evaluation else None,
        require_all=submit,
        initial={"comment": evaluation.comment if evaluation else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.evaluation_save(
                contact=contact, version=version, evaluator=request.user,
                replies=form.replies(), comment=form.cleaned_data["comment"], submit=submit,
                evaluation=evaluation, sample_item=sample_item,
            )  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            if submit:
                messages.success(request, "Evaluation submitted: the agent can see it now.")
                return redirect("quality-evaluation", pk=saved.pk)
            messages.success(request, "Draft saved.")
            return redirect("quality-evaluation-edit", pk=saved.pk)
    context = {"contact": contact, "version": version, "form": form, "evaluation": evaluation}
    return render(request, "quality/evaluate.html", context,
                  status=400 if request.method == "POST" else 200)  # fmt: skip


def _readable(request, pk):
    evaluation = selectors.evaluation_page(access.visible_evaluations(request.user), pk)
    if evaluation is None:
        raise Http404
    return evaluation


@login_required
@role_required(AGENT, SUPERVISOR, MANAGER)
def evaluation_detail(request, pk, dispute_form=None, resolve_form=None, status=200):
    evaluation = _readable(request, pk)
    own = access.own_evaluations(request.user).filter(pk=evaluation.pk).exists()
    may_resolve = (
        access.can_resolve(request.user) and evaluation.status == EvaluationStatus.DISPUTED
    )
    if may_resolve and resolve_form is None:
        resolve_form = ResolveForm(version=evaluation.version, answers=evaluation.answers.all())
    texts = selectors.question_texts(evaluation)
    context = {
        "evaluation": evaluation,
        "own": own,
        "may_answer": own
        and evaluation.status
        in (EvaluationStatus.SUBMITTED, EvaluationStatus.RESOLVED),  # fmt: skip
        "may_dispute": own and evaluation.status == EvaluationStatus.SUBMITTED,
        "dispute_form": dispute_form or DisputeForm(),
        "resolve_form": resolve_form if may_resolve else None,
        "may_edit": evaluation.status == EvaluationStatus.DRAFT
        and evaluation.evaluator_id == request.user.pk,
        "question_texts": texts,
    }
    return render(request, "quality/evaluation_detail.html", context, status=status)


def _own(request, pk):
    """The user's own evaluation (as its agent): 404 for anyone else's."""
    return get_object_or_404(access.own_evaluations(request.user), pk=pk)


@login_required
@role_required(AGENT, forbidden="Only the evaluated agent acknowledges an evaluation.")
@require_POST
def evaluation_acknowledge(request, pk):
    evaluation = _own(request, pk)
    try:
        services.evaluation_acknowledge(evaluation, by=request.user,
                                        note=request.POST.get("note", "").strip())  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return evaluation_detail(request, pk, status=400)
    messages.success(request, "Evaluation acknowledged.")
    return redirect("quality-evaluation", pk=pk)


@login_required
@role_required(AGENT, forbidden="Only the evaluated agent disputes an evaluation.")
@require_POST
def evaluation_dispute(request, pk):
    evaluation = _own(request, pk)
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            services.evaluation_dispute(evaluation, by=request.user,
                                        reason=form.cleaned_data["reason"])  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Dispute sent: a manager will resolve it.")
            return redirect("quality-evaluation", pk=pk)
    return evaluation_detail(request, pk, dispute_form=form, status=400)


@login_required
@role_required(MANAGER, forbidden=MANAGERS_ONLY)
@require_POST
def dispute_resolve(request, pk):
    evaluation = _readable(request, pk)
    if evaluation.status != EvaluationStatus.DISPUTED:
        messages.error(request, "This evaluation is not disputed.")
        return evaluation_detail(request, pk, status=400)
    form = ResolveForm(request.POST, version=evaluation.version)
    if form.is_valid():
        rescore = form.cleaned_data["outcome"] == "rescore"
        try:
            services.dispute_resolve(
                evaluation, by=request.user, resolution=form.cleaned_data["resolution"],
                replies=form.replies() if rescore else None,
            )  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, "Dispute resolved.")
            return redirect("quality-evaluation", pk=pk)
    return evaluation_detail(request, pk, resolve_form=form, status=400)


@login_required
@role_required(SUPERVISOR, MANAGER, forbidden=EVALUATORS_ONLY)
@require_POST
def sample_new(request):
    form = SampleForm(request.POST, teams=access.sample_teams(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            sample = services.sample_draw(team=data["team"], week=data["week"],
                                          per_agent=data["per_agent"], seed=data["seed"],
                                          by=request.user)  # fmt: skip
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return redirect("quality-sample", pk=sample.pk)
    return render(request, "quality/sample_new.html", {"sample_form": form}, status=400)


@login_required
@role_required(SUPERVISOR, MANAGER)
def sample_detail(request, pk):
    sample = get_object_or_404(selectors.samples_for(request.user), pk=pk)
    items = selectors.sample_items(sample)
    if requested(request, "sample"):
        return csv_response(
            f"sample-{sample.pk}.csv",
            ("agent", "contact", "arrived", "queue", "channel", "evaluation_status"),
            ((i.agent.login, i.contact.external_id, i.contact.arrived_at, i.contact.queue,
              i.contact.channel, i.evaluation_status) for i in items),
        )  # fmt: skip
    return render(request, "quality/sample_detail.html", {"sample": sample, "items": items})
