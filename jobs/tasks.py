"""Thin Celery tasks for the jobs app: the worker probe and the reaper of lost jobs."""
from config.celery import app

from . import lifecycle
from .probe import worker_probe
from .runner import job_task


@job_task(app, "jobs.probe")
def probe(ctx):
    ctx.progress(0.5, "probing the worker")
    return worker_probe()


@app.task(name="jobs.reap_lost_jobs")
def reap_lost_jobs():
    return {"reaped": lifecycle.jobs_reap_lost()}
