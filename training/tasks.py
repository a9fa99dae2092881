"""Thin Celery tasks for training: `training.train(job_id)` on the gpu queue (see runner.py for the work).

A gpu worker preloads torch and ultralytics in its parent process (`celeryd_after_setup`), so each fresh child
(`--max-tasks-per-child 1`) starts training without paying for those imports (seconds per job). The parent never
initialises CUDA (PYTORCH_NVML_BASED_CUDA_CHECK=1 keeps an incidental availability check from doing so), so the
forked children can. TRAINING_PRELOAD=0 turns the preload off.
"""
import logging

from celery import shared_task
from celery.signals import celeryd_after_setup
from django.conf import settings

from jobs.runner import job_task

from . import devices
from .models import TrainingRun
from .runner import training_run_execute
from .services import training_curves_save

log = logging.getLogger(__name__)
CURVES_TASK_NAME = "training.curves"  # routed to the default queue (settings: exact names win over "training.*")


@job_task("training.train")
def train(ctx):
    try:
        return training_run_execute(ctx)
    finally:
        _curves_save_later(job_id=ctx.job_id)


def _curves_save_later(*, job_id: int) -> None:
    """Queue the drawing of the run's curves on the default queue (a killed child never gets here: the API then
    draws them on request)."""
    try:
        run_id = TrainingRun.objects.filter(job_id=job_id).values_list("pk", flat=True).first()
        if run_id is not None:
            curves_save.delay(run_id)
    except Exception:
        log.exception("could not queue the curves of the run of job %s", job_id)


@shared_task(name=CURVES_TASK_NAME, ignore_result=True)
def curves_save(run_id: int) -> None:
    # One table per query (no joins): a reader that locks one table at a time cannot deadlock a test's TRUNCATE.
    run = TrainingRun.objects.filter(pk=run_id).first()
    if run is not None:
        training_curves_save(run=run)


@celeryd_after_setup.connect
def _preload_training_stack(sender=None, instance=None, conf=None, **kwargs):
    try:
        queues = set(instance.app.amqp.queues.consume_from or {})
    except Exception:
        return
    if "gpu" not in queues or not settings.TRAINING_PRELOAD:
        return
    failed = devices.preload_training_modules()
    if failed:  # a worker without part of the ML stack still serves its other tasks
        log.warning("could not preload %s", ", ".join(failed))
