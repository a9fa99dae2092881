"""The jobs app's Celery hook: a job whose worker child died fails at once. The worker probe task is
inference/tasks.py, the reaper of lost jobs hosts/tasks.py (both keep their `jobs.` names)."""
import logging

from billiard.exceptions import WorkerLostError
from celery import signals
from django.db import close_old_connections

from . import lifecycle

log = logging.getLogger(__name__)


@signals.task_failure.connect
def fail_the_job_of_a_lost_worker(sender=None, task_id=None, exception=None, **kwargs):
    """In a worker's parent process, Celery reports a pool child that died mid-task (SIGKILL, out of memory) within
    a second, as a WorkerLostError: fail that task's job now. The heartbeat reaper stays as the backstop (a whole
    worker host lost, where no parent survives to tell)."""
    if not isinstance(exception, WorkerLostError):
        return
    try:
        close_old_connections()
        lifecycle.job_fail_worker_lost(task_id=task_id or "", detail=str(exception))
    except Exception:  # never let a hook break the worker's parent; the reaper still fails the job later
        log.exception("could not fail the job of lost task %s", task_id)
