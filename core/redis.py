"""The one Redis client factory of the platform: every process gets its connections here.

Two flavours, one connection pool each per URL and process:
- `redis_client()`: short connect and read timeouts (REDIS_CONNECT_TIMEOUT_SECONDS, REDIS_READ_TIMEOUT_SECONDS),
  for every ordinary command. A web thread never waits on Redis longer than that: a Redis that is down or stuck
  becomes a RedisError at once, which the API answers as a JSON 503 (core/http_errors.py).
- `redis_blocking_client()`: the same connect timeout, a read timeout long enough for blocking pops
  (REDIS_BLOCKING_READ_TIMEOUT_SECONDS), for the inference channel's BLPOPs, which wait up to a request's deadline.
"""
import functools
import time

import redis
from django.conf import settings


@functools.lru_cache(maxsize=8)
def _client(url: str, connect_timeout: float, read_timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=connect_timeout, socket_timeout=read_timeout,
                                health_check_interval=30)


def redis_client() -> redis.Redis:
    """The client for ordinary commands (short timeouts)."""
    return _client(settings.REDIS_URL, settings.REDIS_CONNECT_TIMEOUT_SECONDS, settings.REDIS_READ_TIMEOUT_SECONDS)


def redis_blocking_client() -> redis.Redis:
    """The client for blocking commands (BLPOP with a timeout): a read timeout longer than any block."""
    return _client(settings.REDIS_URL, settings.REDIS_CONNECT_TIMEOUT_SECONDS,
                   settings.REDIS_BLOCKING_READ_TIMEOUT_SECONDS)


# After a failure, best-effort callers (progress publishing, revoke broadcasts) skip Redis for a moment instead of
# each paying the timeouts again: one request that does several of them still answers within about one timeout.
DOWN_BACKOFF_SECONDS = 2.0
_down_until: dict[str, float] = {}  # per Redis URL


def redis_mark_down() -> None:
    _down_until[settings.REDIS_URL] = time.monotonic() + DOWN_BACKOFF_SECONDS


def redis_recently_down() -> bool:
    return time.monotonic() < _down_until.get(settings.REDIS_URL, 0.0)


def redis_available() -> bool:
    """Whether Redis answers a PING within the short timeouts (False at once if it just failed)."""
    if redis_recently_down():
        return False
    try:
        return bool(redis_client().ping())
    except redis.RedisError:
        redis_mark_down()
        return False
