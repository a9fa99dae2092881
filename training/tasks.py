"""Thin Celery tasks for training: `training.train(job_id)` on the gpu queue (see runner.py for the work).

A gpu worker preloads torch and ultralytics in its parent process (`celeryd_after_setup`), so each fresh child
(`--max-tasks-per-child 1`) starts training without paying for those imports (seconds per job). The parent never
initialises CUDA (PYTORCH_NVML_BASED_CUDA_CHECK=1 keeps an incidental availability check from doing so), so the
forked children can. TRAINING_PRELOAD=0 turns the preload off.
"""
import logging
import os

from celery.signals import celeryd_after_setup

from config.celery import app
from jobs.runner import job_task

log = logging.getLogger(__name__)


@job_task(app, "training.train")
def train(ctx):
    from .runner import training_run_execute

    return training_run_execute(ctx)


@celeryd_after_setup.connect
def _preload_training_stack(sender=None, instance=None, conf=None, **kwargs):
    try:
        queues = set(instance.app.amqp.queues.consume_from or {})
    except Exception:
        return
    if "gpu" not in queues or os.environ.get("TRAINING_PRELOAD", "1") == "0":
        return
    from . import devices

    failed = devices.preload_training_modules()
    if failed:  # a worker without part of the ML stack still serves its other tasks
        log.warning("could not preload %s", ", ".join(failed))
