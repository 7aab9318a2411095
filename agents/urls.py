from django.urls import path

from agents import views

urlpatterns = [
    path("teams/", views.team_list, name="team-list"),
    path("teams/<int:pk>/roster/", views.team_roster, name="team-roster"),
    path("teams/<int:pk>/roster/add/", views.roster_add, name="roster-add"),
    path("agents/new/", views.agent_new, name="agent-new"),
    path("agents/<int:pk>/move/", views.agent_move, name="agent-move"),
    path("agents/<int:pk>/active/", views.agent_active, name="agent-active"),
    path("agents/<int:pk>/skills/", views.agent_skills, name="agent-skills"),
    path("agents/<int:pk>/history/", views.agent_history, name="agent-history"),
]
