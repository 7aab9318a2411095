"""Schedule pages: a team's week, shifts edited in place, copies, templates, CSV import,
time off, and each agent's own schedule and calendar file.

Teams, agents, shifts and time off are looked up through agents.access: another team's
are a 404, and a forbidden form post writes nothing.
"""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from agents import access
from agents.models import Agent
from core import roles
from core.exports import csv_filename, csv_response, requested
from core.localtime import local_today, monday_of
from scheduling import selectors, services
from scheduling.forms import (
    CopyForm,
    ImportForm,
    MoveShiftForm,
    ShiftForm,
    TemplateApplyForm,
    TimeOffForm,
)
from scheduling.models import Shift, ShiftTemplate, TimeOff, TimeOffStatus

# Messages shown for one refused change; the rest are counted.
MAX_MESSAGES = 12
# What an agent's calendar file holds: recent and coming shifts.
ICS_DAYS_BACK, ICS_DAYS_AHEAD = 28, 120


def _week(value) -> date:
    """The Monday of the week asked for; this week when the value is not a usable date."""
    try:
        day = services.check_year(date.fromisoformat(value)) if value else local_today()
    except (ValueError, ValidationError):
        day = local_today()
    return monday_of(day)


def _grid_url(team_pk: int | None, day: date, agent_pk: int | None = None) -> str:
    """The team's week grid holding `day`; the agent's own schedule when there is no team."""
    week = monday_of(day)
    if team_pk is None:
        return f"{reverse('agent-schedule', args=[agent_pk])}?week={week}"
    return f"{reverse('team-schedule', args=[team_pk])}?week={week}"


def _shift_page(shift, day: date | None = None) -> str:
    team_pk = shift.team_id or shift.agent.team_id
    return _grid_url(team_pk, day or services.local(shift.start).date(), shift.agent_id)


def _report(request, error: ValidationError) -> None:
    texts = error.messages
    for text in texts[:MAX_MESSAGES]:
        messages.error(request, text)
    if len(texts) > MAX_MESSAGES:
        messages.error(request, f"…and {len(texts) - MAX_MESSAGES} more.")


def _team_agents(user, team):
    """The team's active agents the user may schedule."""
    return access.editable_agents(user).filter(team=team, active=True)


def _schedule_page(request, team, week, *, status=200, **forms):
    user = request.user
    can_edit = access.can_edit_team(user, team)
    agents = _team_agents(user, team)
    context = {
        "team": team,
        "can_edit": can_edit,
        "week": week,
        "previous_week": week - timedelta(days=7),
        "next_week": week + timedelta(days=7),
        "grid": selectors.team_week(team, week),
        "create_form": forms.get("create_form") or ShiftForm(agents=agents),
        "copy_form": CopyForm(initial={"what": "week", "day": week}),
        "template_form": forms.get("template_form") or TemplateApplyForm(agents=agents, week=week),
        "time_off_form": TimeOffForm(agents=agents),
        "templates": ShiftTemplate.objects.prefetch_related("activities"),
        "pending_time_off": TimeOff.objects.editable_by(user)
        .filter(agent__team=team, status=TimeOffStatus.REQUESTED)
        .select_related("agent")
        .order_by("start"),
        "open_dialog": forms.get("open_dialog", ""),
    }
    return render(request, "scheduling/team_schedule.html", context, status=status)


@login_required
def team_schedule(request, pk):
    team = access.get_team_for_user(request.user, pk)
    week = _week(request.GET.get("week"))
    if requested(request, "schedule"):
        return _week_csv(team, week)
    return _schedule_page(request, team, week)


def _week_csv(team, week):
    """The week grid as the page lays it out: an agent a row, a day a column; a cell holds
    the day's time off and shifts as their hover text reads (times, activities, note)."""
    grid = selectors.team_week(team, week)

    def cell_text(cell):
        items = [
            "Time off (requested)" if off.status == TimeOffStatus.REQUESTED else "Time off"
            for off in cell["time_off"]
        ]
        items += [
            " · ".join(filter(None, [view.label, view.activities, view.shift.note]))
            for view in cell["shifts"]
        ]
        return ", ".join(items)

    return csv_response(
        csv_filename(team.name, "schedule", week),
        ["agent", *grid["days"], "hours"],
        ([str(row["agent"]), *(cell_text(cell) for cell in row["cells"]), round(row["hours"], 2)]
         for row in grid["rows"]),
    )  # fmt: skip


def _editable_team(user, pk):
    return get_object_or_404(access.editable_teams(user), pk=pk)


@login_required
@require_POST
def shift_new(request, pk):
    team = _editable_team(request.user, pk)
    form = ShiftForm(request.POST, agents=_team_agents(request.user, team))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.shift_create(agent=data["agent"], start=data["start_at"], end=data["end_at"],
                                  spans=data["spans"], note=data["note"], by=request.user)  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Shift added for {data['agent']}.")
            return redirect(_grid_url(team.pk, data["day"]))
    week = _week(request.POST.get("day"))
    return _schedule_page(request, team, week, status=400, create_form=form, open_dialog="new")


def _editable_shift(user, pk):
    """The shift the user may change, or None when there is none (see _deleted_shift)."""
    shifts = Shift.objects.editable_by(user).select_related("agent", "team", "agent__team")
    return shifts.filter(pk=pk).first()


def _deleted_shift(user, pk):
    """The last record of a deleted shift the user could change (as
    Shift.objects.editable_by), so the page says it no longer exists; a 404 otherwise."""
    record = Shift.history.filter(id=pk, history_type="-").order_by("-history_id").first()
    if record is not None and roles.is_manager(user):
        return record
    if record is not None and roles.is_supervisor(user):
        if record.team_id is not None:
            allowed = access.editable_teams(user).filter(pk=record.team_id).exists()
        else:
            allowed = access.editable_agents(user).filter(pk=record.agent_id).exists()
        if allowed:
            return record
    raise Http404


def _gone(request, shift):
    """The shift was deleted, before this request or while it waited for the shift's
    lock: say so, back on the week it was in (the grid's dialog shows the sentence)."""
    if request.GET.get("partial") == "1":
        return HttpResponseNotFound(
            format_html('<p>{}</p><button class="button" type="button" data-close>Close'
                        "</button>", services.SHIFT_GONE)
        )  # fmt: skip
    messages.error(request, services.SHIFT_GONE)
    return redirect(_shift_page(shift))


@login_required
def shift_edit(request, pk):
    shift = _editable_shift(request.user, pk)
    if shift is None:
        return _gone(request, _deleted_shift(request.user, pk))
    team = shift.team or shift.agent.team
    agents = Agent.objects.filter(pk=shift.agent_id)
    if request.method == "POST" and "delete" in request.POST:
        try:
            services.shift_delete(shift=shift, by=request.user)
        except services.ShiftGone:
            return _gone(request, shift)
        messages.success(request, f"Shift of {shift.agent} deleted.")
        return redirect(_shift_page(shift))
    if request.method == "POST":
        form = ShiftForm(request.POST, agents=agents)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.shift_update(shift=shift, start=data["start_at"], end=data["end_at"],
                                      spans=data["spans"], note=data["note"], by=request.user)  # fmt: skip
            except services.ShiftGone:
                return _gone(request, shift)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Shift of {shift.agent} saved.")
                return redirect(_shift_page(shift, data["day"]))
    else:
        start, end = services.local(shift.start), services.local(shift.end)
        form = ShiftForm(agents=agents, initial={
            "agent": shift.agent, "day": start.date(), "start": start.time(), "end": end.time(),
            "activities": selectors.activities_text(shift), "note": shift.note,
        })  # fmt: skip
    context = {
        "shift": shift,
        "team": team,
        "form": form,
        "move_form": MoveShiftForm(
            initial={
                "day": services.local(shift.start).date(),
                "start": services.local(shift.start).time(),
            }
        ),  # fmt: skip
        "partial": request.GET.get("partial") == "1",
        "week": monday_of(services.local(shift.start).date()),
    }
    template = "scheduling/_shift_edit.html" if context["partial"] else "scheduling/shift_edit.html"
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@require_POST
def shift_move(request, pk):
    shift = _editable_shift(request.user, pk)
    if shift is None:
        return _gone(request, _deleted_shift(request.user, pk))
    form = MoveShiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new date and start time.")
        return redirect(_shift_page(shift))
    try:
        services.shift_move(shift=shift, start=form.cleaned_data["start_at"], by=request.user)
    except services.ShiftGone:
        return _gone(request, shift)
    except ValidationError as error:
        _report(request, error)
        return redirect(_shift_page(shift))
    messages.success(
        request, f"Shift of {shift.agent} moved to {services.describe(shift.start, shift.end)}."
    )
    return redirect(_shift_page(shift, form.cleaned_data["day"]))


@login_required
@require_POST
def schedule_copy(request, pk):
    team = _editable_team(request.user, pk)
    form = CopyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to copy and the day.")
        return redirect(_grid_url(team.pk, local_today()))
    day, days = form.cleaned_data["day"], 1 if form.cleaned_data["what"] == "day" else 7
    first = day if days == 1 else monday_of(day)
    try:
        result = services.schedule_copy(agents=_team_agents(request.user, team), first_day=first,
                                        days=days, to_day=first + timedelta(days=days),
                                        by=request.user)  # fmt: skip
    except ValidationError as error:
        messages.error(request, "Nothing was copied:")
        _report(request, error)
        return redirect(_grid_url(team.pk, first))
    note = f" ({result.already_there} already there)" if result.already_there else ""
    messages.success(request, f"Copied {len(result.created)} shift(s){note}.")
    return redirect(_grid_url(team.pk, first + timedelta(days=days)))


@login_required
@require_POST
def template_apply(request, pk):
    team = _editable_team(request.user, pk)
    week = _week(request.POST.get("week"))
    form = TemplateApplyForm(request.POST, agents=_team_agents(request.user, team), week=week)
    if form.is_valid():
        data = form.cleaned_data
        try:
            shifts = services.template_apply(template=data["template"], agents=data["agents"],
                                             days=[date.fromisoformat(d) for d in data["days"]],
                                             by=request.user)  # fmt: skip
        except ValidationError as error:
            form.add_error(None, ["No shift was added:", *error.messages])
        else:
            messages.success(request, f"{data['template']}: {len(shifts)} shift(s) added.")
            return redirect(_grid_url(team.pk, week))
    return _schedule_page(request, team, week, status=400, template_form=form,
                          open_dialog="template")  # fmt: skip


@login_required
def schedule_import(request, pk):
    """The upload form: a file that can be imported is queued as a job for the worker
    (scheduling.import_views shows its progress); one that cannot is refused here."""
    team = _editable_team(request.user, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.schedule_import_job_create(upload=form.cleaned_data["file"],
                                                      team=team, by=request.user)  # fmt: skip
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("schedule-import-detail", pk=job.pk)
    context = {"team": team, "form": form, "columns": services.SCHEDULE_COLUMNS,
               "max_rows": services.max_import_rows()}  # fmt: skip
    return render(request, "scheduling/import.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def time_off_new(request, pk):
    team = _editable_team(request.user, pk)
    form = TimeOffForm(request.POST, agents=_team_agents(request.user, team))
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field.replace('_', ' ')}: {' '.join(errors)}")
        return redirect(_grid_url(team.pk, local_today()))
    data = form.cleaned_data
    try:
        services.time_off_create(agent=data["agent"], start=data["start_at"], end=data["end_at"],
                                 reason=data["reason"], status=data["status"], by=request.user)  # fmt: skip
    except ValidationError as error:
        messages.error(request, "Time off not saved:")
        _report(request, error)
    else:
        messages.success(request, f"Time off saved for {data['agent']}.")
    return redirect(_grid_url(team.pk, data["first_day"]))


@login_required
@require_POST
def time_off_decide(request, pk):
    time_off = get_object_or_404(TimeOff.objects.editable_by(request.user).select_related("agent"),
                                 pk=pk)  # fmt: skip
    status = request.POST.get("status")
    if status not in (TimeOffStatus.APPROVED, TimeOffStatus.REJECTED):
        raise Http404
    try:
        services.time_off_decide(time_off=time_off, status=status, by=request.user)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, f"Time off of {time_off.agent} {status}.")
    day = services.local(time_off.start).date()
    return redirect(_grid_url(time_off.agent.team_id, day, time_off.agent_id))


@login_required
def agent_schedule(request, pk):
    """An agent's coming two weeks; agents request time off here."""
    agent = access.get_agent_for_user(request.user, pk)
    is_self = agent.user_id == request.user.pk
    week = _week(request.GET.get("week"))
    form = TimeOffForm(agents=Agent.objects.filter(pk=agent.pk), with_status=False,
                       initial={"agent": agent})  # fmt: skip
    if request.method == "POST":
        if not (is_self or access.can_edit_agent(request.user, agent)):
            raise Http404
        form = TimeOffForm(request.POST, agents=Agent.objects.filter(pk=agent.pk),
                           with_status=False)  # fmt: skip
        if form.is_valid():
            data = form.cleaned_data
            services.time_off_create(agent=agent, start=data["start_at"], end=data["end_at"],
                                     reason=data["reason"], by=request.user)  # fmt: skip
            messages.success(request, "Time off requested: your supervisor will decide.")
            return redirect("agent-schedule", agent.pk)
    shifts = [selectors.shift_view(shift) for shift in selectors.agent_shifts(agent, week, 14)]
    if requested(request, "agent-shifts"):
        return csv_response(
            csv_filename(agent.login, "shifts", week),
            ["date", "start", "end", "activities", "note", "hours"],
            ([services.local(view.shift.start).date(), f"{services.local(view.shift.start):%H:%M}",
              f"{services.local(view.shift.end):%H:%M}", view.activities, view.shift.note,
              round(view.hours, 2)] for view in shifts),
        )  # fmt: skip
    context = {
        "agent": agent,
        "week": week,
        "previous_week": week - timedelta(days=7),
        "next_week": week + timedelta(days=7),
        "shifts": shifts,
        "time_off": selectors.agent_time_off(agent, week),
        "form": form,
        "can_request": is_self or access.can_edit_agent(request.user, agent),
    }
    return render(request, "scheduling/agent_schedule.html", context,
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
def agent_calendar(request, pk):
    """The agent's shifts as an .ics file for a calendar app."""
    agent = access.get_agent_for_user(request.user, pk)
    since = local_today() - timedelta(days=ICS_DAYS_BACK)
    shifts = selectors.agent_shifts(agent, since, ICS_DAYS_BACK + ICS_DAYS_AHEAD)
    host = request.get_host().rsplit(":", 1)[0]
    body = selectors.agent_ics(agent, shifts, host, timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="schedule-{agent.login}.ics"'
    return response
