"""Thin Celery task for the worker probe: `jobs.probe(job_id)` on the queue the request names (see probe.py).

The task keeps the name it had when it lived in jobs/ (job rows store it, and `POST /api/jobs/probe/` sends it);
it lives here because what a worker can run is the inference engines' to say.
"""
from jobs.runner import job_task

from .probe import worker_probe


@job_task("jobs.probe")
def probe(ctx):
    ctx.progress(0.5, "probing the worker")
    return worker_probe()
