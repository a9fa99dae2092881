"""QUEUED jobs whose Celery message is gone from Redis (Redis restarted without its data, a flush, a failover):
nothing would ever run them, so the reaper sends them again, or fails them with the reason.

A job counts as lost once its message has been missing for JOB_LOST_MESSAGE_SECONDS (so a message in flight
between the queue and a worker is never mistaken for lost); the time it was first seen missing is kept in Redis
itself (if Redis loses it too, the count restarts). A lost job is sent again, as the same task with the same task
id and time limits, up to JOB_LOST_MESSAGE_RESENDS times; that is safe because the claim is idempotent (a second
message for a job that already ran is skipped). A job with no task recorded (created before the platform kept it),
or whose re-sends are used up, is FAILED with the reason.
"""
import json
import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.queues import celery_consumes
from core.redis import redis_client

from .lifecycle import job_fail
from .models import Job, JobState, JobTransition

log = logging.getLogger(__name__)


# kombu's Redis transport: one list per queue and priority step, and the messages workers hold (acks_late) in a hash.
_PRIORITY_SEPARATOR = "\x06\x16"
_UNACKED = "unacked"


def jobs_reap_lost_messages(*, now=None) -> dict[str, list[int]]:
    """Re-send or fail the QUEUED jobs whose message is lost; {"resent": [job ids], "failed": [job ids]}."""
    now = now or timezone.now()
    grace = settings.JOB_LOST_MESSAGE_SECONDS
    queued = list(Job.objects.filter(state=JobState.QUEUED, created_at__lt=now - timedelta(seconds=2))
                  .exclude(celery_task_id="").values("pk", "queue", "celery_task_id", "task_name", "task_limits",
                                                     "resends"))
    done = {"resent": [], "failed": []}
    if not queued:
        return done
    client = redis_client()
    present = _task_ids_in_redis(client, {job["queue"] for job in queued})
    for job in queued:
        job_id, queue = job["pk"], job["queue"]
        if not celery_consumes(queue):  # older versions accepted probes to "inference" (core/queues.py)
            message = (f"never runs: no Celery worker consumes the {queue!r} queue (the inference pool serves "
                       "predictions over its own Redis protocol, not Celery tasks)")
            if job_fail(job_id=job_id, error=message):
                done["failed"].append(job_id)
            continue
        key = f"vp:jobs:missing-since:{job_id}"
        if job["celery_task_id"] in present:
            client.delete(key)
            continue
        client.set(key, now.timestamp(), nx=True, ex=max(int(grace) * 10, 3600))
        since = float(client.get(key) or now.timestamp())
        if now.timestamp() - since < grace:
            continue
        client.delete(key)  # a re-sent job gets its grace again
        if job["task_name"] and job["resends"] < settings.JOB_LOST_MESSAGE_RESENDS:
            if _resend(job):
                done["resent"].append(job_id)
            continue
        tried = f" and was sent again {job['resends']} time(s)" if job["resends"] else ""
        message = (f"lost: its message vanished from the {queue!r} queue in Redis (Redis restarted without its data, "
                   f"was flushed or failed over){tried}, so no worker would ever run it; nothing ran. Start it again.")
        if job_fail(job_id=job_id, error=message):
            done["failed"].append(job_id)
            log.warning("reaped job %s: %s", job_id, message)
    return done


def _resend(job: dict) -> bool:
    """Send the job's task again (same task id: the claim stays idempotent); counted in the same transaction, so
    two reapers at once send it once and a send that fails is not counted (the next sweep tries again)."""
    message = (f"sent again ({job['resends'] + 1} of {settings.JOB_LOST_MESSAGE_RESENDS}): its message vanished "
               f"from the {job['queue']!r} queue in Redis")
    try:
        with transaction.atomic():
            counted = Job.objects.filter(pk=job["pk"], state=JobState.QUEUED, resends=job["resends"]) \
                .update(resends=F("resends") + 1)
            if not counted:
                return False
            current_app.send_task(job["task_name"], args=[job["pk"]], queue=job["queue"],
                                  task_id=job["celery_task_id"], **(job["task_limits"] or {}))
            JobTransition.objects.create(job_id=job["pk"], from_state=JobState.QUEUED, to_state=JobState.QUEUED,
                                         message=message)
    except Exception:  # one job's failed send must not stop the sweep of the others
        log.warning("could not send job %s again", job["pk"], exc_info=True)
        return False
    log.warning("job %s %s", job["pk"], message)
    return True


def _task_ids_in_redis(client, queues: set[str]) -> set[str]:
    ids = set()

    def add(raw):
        try:
            message = json.loads(raw)
            message = message[0] if isinstance(message, list) else message
            ids.add(message["headers"]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            pass

    for queue in queues:
        for key in [queue, *(f"{queue}{_PRIORITY_SEPARATOR}{step}" for step in (3, 6, 9))]:
            for raw in client.lrange(key, 0, -1):
                add(raw)
    for raw in client.hvals(_UNACKED):
        add(raw)
    return ids
