"""Schedule proposal pages: a team's proposals for a week and the button that makes one,
a draft on the week grid with its coverage and solver figures, edits of its shifts,
Apply and Reject. Managers and the team's supervisors only (others: 403)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from agents import access
from agents.models import Agent, Team
from core.exports import csv_filename, csv_response, requested
from core.localtime import at_local, local_today
from core.roles import MANAGER, SUPERVISOR, role_required
from staffing import dashboards, proposal_selectors, services
from staffing.models import ProposalMode, ProposalStatus, ProposedShift, ScheduleProposal

FORBIDDEN = "Schedule proposals are for managers and the team's supervisors."
MAX_MESSAGES = 12


def _team(user, pk) -> Team:
    team = get_object_or_404(Team, pk=pk)
    if not access.can_edit_team(user, team):
        raise PermissionDenied(FORBIDDEN)
    return team


def _proposal(user, pk) -> ScheduleProposal:
    proposal = get_object_or_404(ScheduleProposal.objects.select_related("team"), pk=pk)
    if not access.can_edit_team(user, proposal.team):
        raise PermissionDenied(FORBIDDEN)
    return proposal


def _report(request, error: ValidationError, lead: str) -> None:
    messages.error(request, lead)
    for text in error.messages[:MAX_MESSAGES]:
        messages.error(request, text)
    if len(error.messages) > MAX_MESSAGES:
        messages.error(request, f"…and {len(error.messages) - MAX_MESSAGES} more.")


def proposals_url(team_pk: int, week) -> str:
    return f"{reverse('staffing-proposals')}?team={team_pk}&week={week:%Y-%m-%d}"


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def proposal_list(request):
    """Pick a team and a week; the week's proposals and the Propose button."""
    teams = list(access.editable_teams(request.user))
    week, errors = dashboards.week_of(request.GET, local_today())
    chosen = request.GET.get("team")
    team = next((t for t in teams if str(t.pk) == chosen), teams[0] if teams else None)
    context = {
        "teams": teams,
        "team": team,
        "week": week,
        "previous_week": week - timedelta(days=7),
        "next_week": week + timedelta(days=7),
        "errors": errors,
        "proposals": proposal_selectors.proposals_of(team, week) if team else [],
        "modes": ProposalMode.choices,
    }
    return render(request, "staffing/proposal_list.html", context)


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
@require_POST
def proposal_new(request):
    chosen = request.POST.get("team", "")
    if not chosen.isdigit():
        return HttpResponseBadRequest(f"team: a team's id (a whole number), not {chosen!r}.")
    mode = request.POST.get("mode") or ProposalMode.FILL
    if mode not in ProposalMode.values:
        return HttpResponseBadRequest(
            f"mode: one of {', '.join(ProposalMode.values)}, not {mode!r}."
        )
    team = _team(request.user, int(chosen))
    week, errors = dashboards.week_of(request.POST, local_today())
    if errors:
        messages.error(request, errors[0])
        return redirect(proposals_url(team.pk, week))
    try:
        proposal = services.propose(team=team, week=week, by=request.user, mode=mode)
    except ValidationError as error:
        _report(request, error, "No schedule was proposed:")
        return redirect(proposals_url(team.pk, week))
    return redirect("staffing-proposal", proposal.pk)


def _shifts_csv(proposal, shifts):
    return csv_response(
        csv_filename(proposal.team.name, "proposal", proposal.week),
        ["agent", "date", "start", "end", "activities", "template"],
        ([str(view.proposed.agent or "open"), f"{view.proposed.start:%Y-%m-%d}",
          *view.label.split("–"), view.activities, str(view.proposed.template or "")]
         for view in map(proposal_selectors.proposed_view, shifts)),
    )  # fmt: skip


def _intervals_csv(proposal, rows):
    return csv_response(
        csv_filename(proposal.team.name, "proposal-intervals", proposal.week),
        ["interval", "required", "scheduled_before", "kept", "proposed", "scheduled_after",
         "gap"],
        ([row["start"].isoformat(), row["required"], row["before"], row["kept"],
          row["proposed"], row["after"], row["gap"]] for row in rows),
    )  # fmt: skip


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def proposal_detail(request, pk):
    proposal = _proposal(request.user, pk)
    shifts = proposal_selectors.proposed_shifts(proposal)
    if requested(request, "shifts"):
        return _shifts_csv(proposal, shifts)
    coverage = proposal_selectors.coverage(proposal, shifts)
    if requested(request, "intervals"):
        return _intervals_csv(proposal, coverage["rows"])
    summary = proposal.summary
    grid = proposal_selectors.grid(proposal, shifts)
    context = {
        "proposal": proposal,
        "team": proposal.team,
        "is_draft": proposal.status == ProposalStatus.DRAFT,
        "grid": grid,
        "coverage": coverage,
        "rows": [row for row in coverage["rows"] if row["required"] or row["after"]],
        "summary": summary,
        "gap_percent": None if summary.get("gap") is None else 100 * summary["gap"],
        "open": proposal_selectors.open_shifts(shifts, grid["days"], grid["open_by_day"]),
        "shift_count": len(shifts),
        "assigned_count": sum(1 for shift in shifts if shift.agent_id),
        "replacing": proposal.mode == ProposalMode.REPLAN,
        "replaced_count": len(summary.get("replaces", [])),
        "list_url": proposals_url(proposal.team_id, proposal.week),
    }
    return render(request, "staffing/proposal.html", context)


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
@require_POST
def proposal_apply(request, pk):
    proposal = _proposal(request.user, pk)
    try:
        created = services.apply(proposal=proposal, by=request.user)
    except ValidationError as error:
        _report(request, error, "Nothing was applied:")
        return redirect("staffing-proposal", proposal.pk)
    replaced = (
        len(proposal.summary.get("replaces", [])) if proposal.mode == ProposalMode.REPLAN else 0
    )
    done = f"{len(created)} shift(s) added to {proposal.team}'s schedule"
    done = f"{done}, {replaced} replaced" if replaced else done
    still_open = proposal.shifts.filter(agent__isnull=True).count()
    if still_open:
        done += (f"; {still_open} open shift(s) not written to anyone's schedule, listed on "
                 "the proposal to fill")  # fmt: skip
    messages.success(request, f"{done}.")
    return redirect(f"{reverse('team-schedule', args=[proposal.team_id])}?week={proposal.week}")


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
@require_POST
def proposal_reject(request, pk):
    proposal = _proposal(request.user, pk)
    try:
        services.reject(proposal=proposal, by=request.user)
    except ValidationError as error:
        _report(request, error, "Not rejected:")
    else:
        messages.success(request, "Proposal rejected; the schedule is unchanged.")
    return redirect("staffing-proposal", proposal.pk)


class ProposedShiftForm(forms.Form):
    agent = forms.ModelChoiceField(queryset=Agent.objects.none(), required=False,
                                   empty_label="— open (no agent) —")  # fmt: skip
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, team, week, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = Agent.objects.filter(team=team, active=True).order_by(
            "display_name", "login"
        )
        self.week = week

    def clean_day(self):
        day = self.cleaned_data["day"]
        if not self.week <= day < self.week + timedelta(days=7):
            raise ValidationError(f"Choose a day of the week of {self.week:%d %b %Y}.")
        return day


@login_required
@role_required(MANAGER, SUPERVISOR, forbidden=FORBIDDEN)
def proposed_shift_edit(request, pk):
    proposed = get_object_or_404(
        ProposedShift.objects.select_related("proposal__team", "agent", "template"), pk=pk
    )
    proposal = _proposal(request.user, proposed.proposal_id)
    proposed.proposal = proposal
    form_args = {"team": proposal.team, "week": proposal.week}
    if request.method == "POST" and "delete" in request.POST:
        try:
            services.proposed_shift_delete(proposed=proposed, by=request.user)
        except ValidationError as error:
            _report(request, error, "Not removed:")
        else:
            messages.success(request, "Proposed shift removed.")
        return redirect("staffing-proposal", proposal.pk)
    if request.method == "POST":
        form = ProposedShiftForm(request.POST, **form_args)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.proposed_shift_update(proposed=proposed, agent=data["agent"],
                                               start=at_local(data["day"], data["start"]),
                                               by=request.user)  # fmt: skip
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Proposed shift saved.")
                return redirect("staffing-proposal", proposal.pk)
    else:
        start = timezone.localtime(proposed.start)
        form = ProposedShiftForm(initial={"agent": proposed.agent, "day": start.date(),
                                          "start": start.time()}, **form_args)  # fmt: skip
    context = {"proposal": proposal, "proposed": proposed, "form": form,
               "view": proposal_selectors.proposed_view(proposed)}  # fmt: skip
    return render(request, "staffing/proposal_shift.html", context,
                  status=400 if form.errors else 200)  # fmt: skip
