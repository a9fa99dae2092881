"""Compatibility alias: the Redis client factory lives in config/redis.py (one factory for the platform)."""
from config.redis import redis_blocking_client, redis_client  # noqa: F401
