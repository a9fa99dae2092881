"""Redis: the one URL that the cache, Celery's broker and results, the inference channel and host heartbeats share,
and how long a web process waits on it."""
from core.env import env_float, env_str

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# core/redis.py: every Redis call of the web process gives up within these (then a JSON 503).
REDIS_CONNECT_TIMEOUT_SECONDS = env_float("REDIS_CONNECT_TIMEOUT_SECONDS", 0.5, minimum=0.05)
REDIS_READ_TIMEOUT_SECONDS = env_float("REDIS_READ_TIMEOUT_SECONDS", 1.0, minimum=0.05)
REDIS_BLOCKING_READ_TIMEOUT_SECONDS = env_float("REDIS_BLOCKING_READ_TIMEOUT_SECONDS", 130.0, minimum=1.0)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "vp",
        "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                    "socket_timeout": REDIS_READ_TIMEOUT_SECONDS},
    }
}
