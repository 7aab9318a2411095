from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from agents import access
from kpis import selectors


@login_required
def home(request):
    """Each role's landing page: what the user is responsible for, and what data there is."""
    user = request.user
    context = {
        "overview": selectors.database_overview(user),
        "my_agent": access.agent_of(user) if access.is_agent(user) else None,
        "my_teams": access.visible_teams(user) if access.is_supervisor(user) else None,
    }
    return render(request, "kpis/home.html", context)
