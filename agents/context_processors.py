from agents import access


def roles(request):
    """The user's role for the navigation, computed once per request."""
    user = request.user
    return {
        "user_role": access.role_of(user),
        "user_is_manager": access.is_manager(user),
        "user_is_supervisor": access.is_supervisor(user),
        "user_is_admin": access.is_admin(user),
    }
