"""The platform's queues, in one place: the Celery queues workers consume, and `inference`, which is not one.

`inference` is the inference pool's own Redis protocol (inference/channel.py: a Celery round trip per request costs
more than the batching window), so no Celery worker consumes it: a job sent there would wait for ever. Jobs refuse
it (job_enqueue, the probe), the lost-message reaper fails a job found there, and health counts its consumers
from the pools' heartbeats instead of Celery's replies.
"""
CELERY_QUEUES = ("gpu", "default")  # each has Celery workers (platform/Procfile)
POOL_QUEUE = "inference"
QUEUES = ("gpu", POOL_QUEUE, "default")  # every queue health reports on


NO_CELERY_CONSUMER = (POOL_QUEUE,)


def celery_consumes(queue: str) -> bool:
    """False for a queue known to have no Celery consumer (a job there would wait for ever)."""
    return queue not in NO_CELERY_CONSUMER
