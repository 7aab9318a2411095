"""Coaching pages: the sessions a user may read, recording one, its page and marking its
follow-up done.

They live in kpis, not quality, because a session cites KPIs by key and the form offers
and validates the keys of the KPI registry (kpis.definitions): kpis sits above quality and
may import it, quality may not import kpis. The reads and writes are quality.coaching's.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exports import csv_filename, csv_response, requested
from core.localtime import local_today
from core.roles import MANAGER, SUPERVISOR, role_required
from kpis import definitions
from quality import coaching

FORBIDDEN = "Coaching sessions are recorded by supervisors and managers."


def kpi_choices():
    """KPIs a session may cite: those that apply to an agent (not a queue's alone)."""
    return [(kpi.key, kpi.label) for kpi in definitions.KPIS if kpi.level != definitions.QUEUE]


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EvaluationChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, evaluation):
        score = "—" if evaluation.score is None else f"{evaluation.score:.0f} %"
        when = timezone.localtime(evaluation.submitted_at) if evaluation.submitted_at else None
        return (f"{when:%d %b %Y} · " if when else "") + (
            f"contact {evaluation.contact_id} · {evaluation.version} · {score}"
        )


class CoachingForm(forms.Form):
    held_on = forms.DateField(label="Held on", initial=local_today, widget=DATE)
    discussed = forms.CharField(
        label="What was discussed", widget=forms.Textarea(attrs={"rows": 4})
    )
    action = forms.CharField(label="The action agreed", widget=forms.Textarea(attrs={"rows": 3}))
    follow_up_on = forms.DateField(label="Follow up on", required=False, widget=DATE,
                                   help_text="Overdue follow-ups show on the team's page.")  # fmt: skip
    evaluations = EvaluationChoice(queryset=None, required=False,
                                   widget=forms.CheckboxSelectMultiple,
                                   help_text="The agent's submitted evaluations discussed.")  # fmt: skip
    kpis = forms.MultipleChoiceField(label="KPIs", required=False, choices=kpi_choices,
                                     widget=forms.CheckboxSelectMultiple)  # fmt: skip

    def __init__(self, agent, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluations"].queryset = coaching.linkable_evaluations(agent)


@login_required
def coaching_list(request):
    """Sessions of the agents the user coaches (an agent: their own), newest first."""
    rows = coaching.sessions_for(request.user)
    if requested(request, "sessions"):
        return csv_response(
            csv_filename("coaching"),
            ["agent", "held_on", "coach", "discussed", "action", "kpis", "follow_up_on",
             "followed_up_at"],
            ([row.agent.login, row.held_on, row.coach, row.discussed, row.action,
              " ".join(row.kpis), row.follow_up_on, row.followed_up_at] for row in rows),
        )  # fmt: skip
    context = {
        "rows": rows,
        "agents": coaching.coachable_agents(request.user).filter(active=True).order_by("login"),
        "today": local_today(),
        "kpi_labels": dict(kpi_choices()),
    }
    return render(request, "quality/coaching_list.html", context)


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def coaching_new(request):
    """Record a session with an agent the user coaches (?agent=<number>); without one,
    pick the agent."""
    agents = coaching.coachable_agents(request.user)
    raw = request.POST.get("agent") or request.GET.get("agent")
    if not raw:
        return render(request, "quality/coaching_new.html",
                      {"agents": agents.filter(active=True).order_by("login")})  # fmt: skip
    if not raw.isdigit():
        return HttpResponseBadRequest("agent must be an agent's number.")
    agent = get_object_or_404(agents, pk=raw)
    form = CoachingForm(agent, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = coaching.session_create(request.user, agent=agent, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Coaching session with {agent} recorded.")
                return redirect("coaching-detail", session.pk)
        status = 400
    return render(request, "quality/coaching_new.html", {"agent": agent, "form": form},
                  status=status)  # fmt: skip


@login_required
def coaching_detail(request, pk):
    """A session: read only for the agent; its coach's side may mark the follow-up done."""
    session = get_object_or_404(coaching.sessions_for(request.user), pk=pk)
    labels = dict(kpi_choices())
    context = {
        "session": session,
        "kpis": [(key, labels.get(key, key)) for key in session.kpis],
        "evaluations": session.evaluations.select_related("version__scorecard"),
        "may_change": coaching.may_change(request.user, session),
        "today": local_today(),
    }
    return render(request, "quality/coaching_detail.html", context)


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
@require_POST
def coaching_follow_up(request, pk):
    session = get_object_or_404(coaching.sessions_for(request.user), pk=pk)
    try:
        coaching.follow_up_done(request.user, session)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    messages.success(request, "Follow-up marked done.")
    return redirect("coaching-detail", session.pk)
