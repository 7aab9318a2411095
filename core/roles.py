"""Roles and the checks every view and API asks.

Roles are Django groups (Manager, Supervisor, Agent); staff users are admins and may do
everything a manager may. Which teams, agents, contacts or shifts a role reaches is each
app's business (agents.access, `<Model>.objects.visible_to(user)`); this module only says
who holds which role.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

MANAGER = "Manager"
SUPERVISOR = "Supervisor"
AGENT = "Agent"
ADMIN = "Admin"
ROLES = (MANAGER, SUPERVISOR, AGENT)


def _group_names(user) -> set[str]:
    # Cached on the user object: one query per request, however many checks a page makes.
    if not hasattr(user, "_role_names"):
        user._role_names = set(user.groups.values_list("name", flat=True))
    return user._role_names


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def is_manager(user) -> bool:
    """Managers (and admins) see and change the whole center."""
    return is_admin(user) or (user.is_authenticated and MANAGER in _group_names(user))


def is_supervisor(user) -> bool:
    return user.is_authenticated and SUPERVISOR in _group_names(user)


def is_agent(user) -> bool:
    return user.is_authenticated and AGENT in _group_names(user)


def role_of(user) -> str | None:
    """The user's main role, for navigation: the widest one they hold."""
    if not user.is_authenticated:
        return None
    if is_admin(user):
        return ADMIN
    for role in ROLES:
        if role in _group_names(user):
            return role
    return None


CHECKS = {ADMIN: is_admin, MANAGER: is_manager, SUPERVISOR: is_supervisor, AGENT: is_agent}


def has_role(user, *roles: str) -> bool:
    """Whether the user holds any of `roles` (MANAGER includes admins)."""
    return any(CHECKS[role](user) for role in roles)


def role_required(*roles: str, forbidden: str | None = None):
    """A view only users holding one of `roles` may open; put it under @login_required.

    Anyone else gets a 404, as if the page did not exist (a page of the dashboards), or,
    when `forbidden` is given, a 403 with that message (a tool whose existence is no
    secret, such as the contact import)."""
    unknown = set(roles) - set(CHECKS)
    if not roles or unknown:
        raise ValueError(f"role_required needs known roles, got {roles!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                if forbidden is not None:
                    raise PermissionDenied(forbidden)
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
