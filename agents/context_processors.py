from agents import access
from core.roles import is_admin, is_agent, is_manager, is_supervisor, role_of


def roles(request):
    """The user's role for the navigation, computed once per request."""
    user = request.user
    supervisor = is_supervisor(user) and not is_manager(user)
    agent = access.agent_of(user) if is_agent(user) else None
    return {
        "user_teams": list(access.visible_teams(user)) if supervisor else [],
        "user_agent_id": agent.pk if agent else None,
        "user_role": role_of(user),
        "user_is_manager": is_manager(user),
        "user_is_supervisor": is_supervisor(user),
        "user_is_admin": is_admin(user),
    }
