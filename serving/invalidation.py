"""Telling the inference pools that serving changed: one Redis counter, incremented after the change commits. A
pool reads it once per batch and re-resolves (from the database) only the models it serves after it moved, so no
request pays a database query while nothing changes, and the predict after a change sees it."""
import logging

import redis
from django.db import transaction

from core.redis import redis_client

GENERATION = "serving:generation"

log = logging.getLogger("serving")


def _bump() -> None:
    try:
        redis_client().incr(GENERATION)
    except redis.RedisError:  # the pools keep their resolutions until the next change reaches Redis
        log.warning("could not tell the inference pools that serving changed (Redis unreachable)", exc_info=True)


def serving_changed() -> None:
    """Call inside or outside a transaction: the pools are told once it commits."""
    transaction.on_commit(_bump)


def serving_generation(client) -> bytes | None:
    return client.get(GENERATION)
