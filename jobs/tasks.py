"""Thin Celery tasks for the jobs app: the worker probe, the reaper of lost jobs, and the worker-lost hook."""
import logging

from celery import signals
from billiard.exceptions import WorkerLostError

from config.celery import app

from . import lifecycle
from .lost_messages import jobs_reap_lost_messages
from .probe import worker_probe
from .runner import job_task

log = logging.getLogger(__name__)


@job_task(app, "jobs.probe")
def probe(ctx):
    ctx.progress(0.5, "probing the worker")
    return worker_probe()


@app.task(name="jobs.reap_lost_jobs")
def reap_lost_jobs():
    from hosts.reaping import jobs_fail_on_gone_hosts

    return {"reaped": lifecycle.jobs_reap_lost(), "lost_messages": jobs_reap_lost_messages(),
            "gone_hosts": jobs_fail_on_gone_hosts()}


@signals.task_failure.connect
def fail_the_job_of_a_lost_worker(sender=None, task_id=None, exception=None, **kwargs):
    """In a worker's parent process, Celery reports a pool child that died mid-task (SIGKILL, out of memory) within
    a second, as a WorkerLostError: fail that task's job now. The heartbeat reaper stays as the backstop (a whole
    worker host lost, where no parent survives to tell)."""
    if not isinstance(exception, WorkerLostError):
        return
    from django.db import close_old_connections

    try:
        close_old_connections()
        lifecycle.job_fail_worker_lost(task_id=task_id or "", detail=str(exception))
    except Exception:  # never let a hook break the worker's parent; the reaper still fails the job later
        log.exception("could not fail the job of lost task %s", task_id)
