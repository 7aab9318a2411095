from agents import access


def roles(request):
    """The user's role for the navigation, computed once per request."""
    user = request.user
    supervisor = access.is_supervisor(user) and not access.is_manager(user)
    agent = access.agent_of(user) if access.is_agent(user) else None
    return {
        "user_teams": list(access.visible_teams(user)) if supervisor else [],
        "user_agent_id": agent.pk if agent else None,
        "user_role": access.role_of(user),
        "user_is_manager": access.is_manager(user),
        "user_is_supervisor": access.is_supervisor(user),
        "user_is_admin": access.is_admin(user),
    }
