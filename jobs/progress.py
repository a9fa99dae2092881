"""A job's live progress over Redis: one pub/sub channel per job, published best effort (the row holds the state;
a Redis that is down costs no transition). jobs/events.py streams the channel to clients."""
import json
import logging

from core.redis import redis_client, redis_mark_down, redis_recently_down

log = logging.getLogger(__name__)


def channel(job_id: int) -> str:
    return f"vp:jobs:{job_id}"


def publish(job_id: int, payload: dict) -> None:
    if redis_recently_down():
        return
    try:
        redis_client().publish(channel(job_id), json.dumps(payload))
    except Exception:  # progress over Redis is best effort
        redis_mark_down()
        log.debug("progress publish failed for job %s", job_id, exc_info=True)
