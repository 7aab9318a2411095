"""Logging in: failed passwords are throttled per user name and per address.

The rule (docs/reliability.md, "Login throttling"): after LOGIN_THROTTLE_USER_FAILURES
failed passwords for one user name, or LOGIN_THROTTLE_ADDRESS_FAILURES from one address,
within LOGIN_THROTTLE_WINDOW_SECONDS, every further attempt for that name (from that
address) is refused for LOGIN_THROTTLE_LOCKOUT_SECONDS without the password being checked.
A successful login clears its user name's count. Counts live in the "throttle" cache,
which every web process shares (Redis or a database table, contactcenter/settings.py).

The authentication backend holds the rule, so every password check obeys it (the login
page, the admin's); the login page's form says why it refused.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError

logger = logging.getLogger(__name__)

THROTTLED = "Too many failed attempts: try again in {minutes} minute{s}."


def now() -> float:
    return time.time()


def _cache():
    return caches[settings.LOGIN_THROTTLE_CACHE]


def _key(kind: str, value: str) -> str:
    return f"login-failures:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def client_address(request) -> str:
    if request is None:
        return ""
    return request.META.get(settings.LOGIN_THROTTLE_ADDRESS_HEADER, "") or ""


def _keys(username: str | None, address: str) -> list[tuple[str, int]]:
    """(cache key, failures allowed) of each count this attempt belongs to."""
    keys = []
    if username:
        keys.append((_key("user", username.strip().lower()), settings.LOGIN_THROTTLE_USER_FAILURES))
    if address:
        keys.append((_key("address", address), settings.LOGIN_THROTTLE_ADDRESS_FAILURES))
    return keys


def locked_seconds(username: str | None, address: str) -> float:
    """How long attempts for this user name from this address stay refused (0: free)."""
    moment = now()
    entries = _cache().get_many([key for key, _limit in _keys(username, address)])
    return max(
        [entry["locked_until"] - moment for entry in entries.values() if entry["locked_until"]]
        + [0]
    )


def record_failure(username: str | None, address: str) -> None:
    moment = now()
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    lockout = settings.LOGIN_THROTTLE_LOCKOUT_SECONDS
    cache = _cache()
    for key, limit in _keys(username, address):
        entry = cache.get(key)
        if entry is None or moment - entry["since"] > window or entry["locked_until"]:
            # a new window (a lockout that has run out starts one too)
            entry = {"since": moment, "count": 0, "locked_until": 0}
        entry["count"] += 1
        if entry["count"] >= limit:
            entry["locked_until"] = moment + lockout
        cache.set(key, entry, timeout=math.ceil(max(window, lockout)) + 60)


def reset(username: str | None) -> None:
    """A successful login clears its user name's count (its address's stays)."""
    if username:
        _cache().delete(_key("user", username.strip().lower()))


class ThrottledModelBackend(ModelBackend):
    """Django's password check, refused while the user name or address is locked out."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        address = client_address(request)
        try:
            locked = locked_seconds(username, address)
        except Exception:  # the cache is down or its table missing: log, never lock out
            logger.exception("Login throttle unavailable; the attempt is not throttled")
            return super().authenticate(request, username, password, **kwargs)
        if locked > 0:
            if request is not None:
                request.login_throttled_seconds = locked
            raise PermissionDenied(_message(locked))
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            record_failure(username, address)
            locked = locked_seconds(username, address)
            if locked > 0 and request is not None:
                request.login_throttled_seconds = locked
        else:
            reset(username)
        return user

    @staticmethod
    def _username_field():
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


def _message(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return THROTTLED.format(minutes=minutes, s="" if minutes == 1 else "s")


class ThrottledAuthenticationForm(AuthenticationForm):
    """Says "Too many failed attempts" when the backend refused or has just locked."""

    throttled = ""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            seconds = getattr(self.request, "login_throttled_seconds", 0)
            if seconds:
                self.throttled = _message(seconds)
                raise ValidationError(self.throttled, code="throttled") from None
            raise


class LoginView(auth_views.LoginView):
    """The login page: 429 with the reason while the attempt is throttled."""

    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response
