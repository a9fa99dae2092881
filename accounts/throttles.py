"""Login throttling: per client address, rate from settings.LOGIN_THROTTLE_RATE (read on each request).

The counters live in the default cache (Redis). When Redis is down or slow the throttle does not fail the login
(the login itself needs only the database): it counts in this process's memory instead until Redis answers again,
so a brute force is still slowed down, per web process. After a failure it skips Redis for a moment through the
platform's one Redis back-off (core/redis.py `redis_mark_down` / `redis_recently_down`), not a back-off of its own.
"""
import logging

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle

from core.redis import DOWN_BACKOFF_SECONDS, redis_mark_down, redis_recently_down

log = logging.getLogger(__name__)

_fallback = LocMemCache("login-throttle-fallback", {"MAX_ENTRIES": 10_000})


class LoginRateThrottle(AnonRateThrottle):
    scope = "login"

    def get_rate(self):
        return settings.LOGIN_THROTTLE_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if not redis_recently_down():
            try:
                return super().allow_request(request, view)
            except RedisError as exc:
                log.warning("login throttle: Redis unavailable (%s); counting in memory for %g s", exc,
                            DOWN_BACKOFF_SECONDS)
                redis_mark_down()
        self.cache = _fallback
        return super().allow_request(request, view)
