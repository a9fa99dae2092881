"""Login throttling: per client address, rate from settings.LOGIN_THROTTLE_RATE (read on each request).

The counters live in the default cache (Redis). When Redis is down or slow the throttle does not fail the login
(the login itself needs only the database): it counts in this process's memory instead until Redis answers again,
so a brute force is still slowed down, per web process.
"""
import logging
import time

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle

log = logging.getLogger(__name__)

_fallback = LocMemCache("login-throttle-fallback", {"MAX_ENTRIES": 10_000})
# After a Redis failure, use the fallback for a few seconds instead of retrying each request (per cache location).
_fallback_until: dict[str, float] = {}
FALLBACK_SECONDS = 5.0


class LoginRateThrottle(AnonRateThrottle):
    scope = "login"

    def get_rate(self):
        return settings.LOGIN_THROTTLE_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        location = str(settings.CACHES["default"].get("LOCATION", ""))
        if time.monotonic() >= _fallback_until.get(location, 0.0):
            try:
                return super().allow_request(request, view)
            except RedisError as exc:
                log.warning("login throttle: Redis unavailable (%s); counting in memory for %g s", exc,
                            FALLBACK_SECONDS)
                _fallback_until[location] = time.monotonic() + FALLBACK_SECONDS
        self.cache = _fallback
        return super().allow_request(request, view)
