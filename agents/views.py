"""Roster pages: a team's agents, moves, activation, skills, new agents, history.

Every view finds its team or agent through agents.access, so another team's roster is a
404 to a supervisor and a forbidden change writes nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from agents import access, selectors, services
from agents.forms import AddAgentForm, AgentCreateForm, MoveForm, SkillForm
from agents.models import Skill
from core.exports import csv_filename, csv_response, requested
from core.localtime import local_today, monday_of
from core.roles import MANAGER, SUPERVISOR, role_required


def _editable_agent(user, pk):
    return get_object_or_404(access.editable_agents(user).select_related("team"), pk=pk)


@login_required
@role_required(MANAGER, SUPERVISOR)
def team_list(request):
    """Every team the user may see, with the way into its numbers, roster and schedule."""
    user = request.user
    teams = selectors.teams_overview(access.visible_teams(user), timezone.now())
    if requested(request, "teams"):
        return csv_response(
            csv_filename("teams"),
            ["team", "supervisors", "active_agents", "on_shift"],
            ([team.name, ", ".join(_person(supervisor) for supervisor in team.supervisors.all()),
              team.active_agents, team.on_shift or 0] for team in teams),
        )  # fmt: skip
    return render(request, "agents/team_list.html", {"teams": teams})


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


@login_required
def team_roster(request, pk):
    team = access.get_team_for_user(request.user, pk)
    can_edit = access.can_edit_team(request.user, team)
    agents = selectors.team_roster(team, timezone.now())
    if requested(request, "roster"):
        return _roster_csv(team, agents)
    context = {
        "team": team,
        "can_edit": can_edit,
        "agents": agents,
        "add_form": AddAgentForm(agents=access.agents_to_add(request.user, team)),
        "move_teams": access.teams_to_move_to(request.user, team),
        "week": monday_of(local_today()),
    }
    return render(request, "agents/roster.html", context)


def _roster_csv(team, agents):
    def rows():
        for agent in agents:
            skills = "; ".join(
                f"{agent_skill.skill.name} {agent_skill.proficiency}"
                for agent_skill in agent.agent_skills.all()
            )
            week = agent.week_scheduled
            yield [str(agent), agent.login, skills, agent.state or "offline", agent.state_since,
                   round(week.total_seconds() / 3600, 2) if week is not None else None,
                   agent.active]  # fmt: skip

    return csv_response(
        csv_filename(team.name, "roster"),
        ["agent", "login", "skills", "state", "state_since", "hours_this_week", "active"],
        rows(),
    )


@login_required
@require_POST
def roster_add(request, pk):
    team = get_object_or_404(access.editable_teams(request.user), pk=pk)
    form = AddAgentForm(request.POST, agents=access.agents_to_add(request.user, team))
    if not form.is_valid():
        messages.error(request, "Choose an agent you may add to this team.")
        return redirect("team-roster", team.pk)
    agent = form.cleaned_data["agent"]
    services.agent_move(agent=agent, team=team, by=request.user)
    messages.success(request, f"{agent} joined {team}.")
    return redirect("team-roster", team.pk)


@login_required
@require_POST
def agent_move(request, pk):
    agent = _editable_agent(request.user, pk)
    source = agent.team
    form = MoveForm(request.POST, teams=access.teams_to_move_to(request.user, agent.team))
    if not form.is_valid():
        messages.error(request, "Choose a team you may move this agent to.")
    else:
        team = form.cleaned_data["team"]
        if not access.can_move_agent(request.user, agent, team):
            raise PermissionDenied
        services.agent_move(agent=agent, team=team, by=request.user)
        messages.success(
            request, f"{agent} moved to {team}. Their past numbers stay with {source or 'no team'}."
        )
    return redirect("team-roster", source.pk) if source else redirect("agent-skills", agent.pk)


@login_required
@require_POST
def agent_active(request, pk):
    agent = _editable_agent(request.user, pk)
    active = request.POST.get("active") == "1"
    services.agent_set_active(agent=agent, active=active, by=request.user)
    messages.success(request, f"{agent} is {'active' if active else 'inactive'}.")
    return (
        redirect("team-roster", agent.team_id)
        if agent.team_id
        else redirect("agent-skills", agent.pk)
    )


@login_required
def agent_skills(request, pk):
    agent = access.get_agent_for_user(request.user, pk)
    can_edit = access.can_edit_agent(request.user, agent)
    form = SkillForm()
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if "remove" in request.POST:
            skill_id = request.POST["remove"]
            skill = get_object_or_404(Skill, pk=skill_id if skill_id.isdigit() else None)
            services.agent_skill_remove(agent=agent, skill=skill, by=request.user)
            messages.success(request, f"{skill} removed from {agent}.")
            return redirect("agent-skills", agent.pk)
        form = SkillForm(request.POST)
        if form.is_valid():
            try:
                services.agent_skill_set(by=request.user, agent=agent, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{agent}: {form.cleaned_data['skill']} saved.")
                return redirect("agent-skills", agent.pk)
    context = {
        "agent": agent,
        "can_edit": can_edit,
        "form": form,
        "skills": agent.agent_skills.select_related("skill"),
        "move_form": MoveForm(teams=access.teams_to_move_to(request.user, agent.team)),
        "tab": "skills",
    }
    return render(request, "agents/skills.html", context, status=400 if form.errors else 200)


@login_required
@role_required(MANAGER)
def agent_new(request):
    form = AgentCreateForm(request.POST or None, initial={"team": request.GET.get("team")})
    if request.method == "POST" and form.is_valid():
        try:
            agent = services.agent_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{agent} created.")
            return redirect("agent-skills", agent.pk)
    status = 400 if form.errors else 200
    return render(request, "agents/agent_new.html", {"form": form}, status=status)


@login_required
def agent_history(request, pk):
    agent = access.get_agent_for_user(request.user, pk)
    entries = selectors.agent_history(agent)
    if requested(request, "history"):
        return csv_response(
            csv_filename(agent.login, "history"),
            ["when", "who", "subject", "action", "reason", "changes"],
            ([entry.when, entry.who, entry.subject, entry.action, entry.reason,
              "; ".join(f"{name}: {before} → {after}" if before else f"{name}: {after}"
                        for name, before, after in entry.changes)]
             for entry in entries),
        )  # fmt: skip
    context = {"agent": agent, "entries": entries, "tab": "history"}
    return render(request, "agents/history.html", context)
