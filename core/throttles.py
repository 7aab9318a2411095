"""The API's rate limits (DRF throttles), counted in the shared "throttle" cache.

Rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (docs/api.md): `anon` per address for
requests without credentials, `user` per token or session for reads, `ingest` per token for
writes (the batched ingest endpoints: high, so bulk posting is never slowed at sane rates).
Rates are read on every request, so a changed setting applies at once. A cache that cannot
be read lets the request through (logged): rate limits never take the API down.
"""

import logging

from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)

CACHE = "throttle"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _Shared:
    def __init__(self):
        self.cache = caches[CACHE]
        super().__init__()

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.exception("API throttle unavailable; the request is not throttled")
            return True


class AnonThrottle(_Shared, AnonRateThrottle):
    scope = "anon"


class UserThrottle(_Shared, UserRateThrottle):
    """`user` for reads, `ingest` for writes, per authenticated user."""

    scope = "user"

    def allow_request(self, request, view):
        self.scope = "ingest" if request.method in WRITES else "user"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
