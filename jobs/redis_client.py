"""One Redis client per process for progress pub/sub, health checks and the inference channel."""
import functools

import redis
from django.conf import settings


@functools.lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5, health_check_interval=30)


def redis_client() -> redis.Redis:
    return _client(settings.REDIS_URL)
