"""Celery tasks of the registry. Names starting with `registry.convert` are routed to the gpu queue."""
from jobs.runner import job_task
from .conversions.runner import conversion_execute


@job_task("registry.convert")
def convert_job(ctx):
    return conversion_execute(ctx=ctx)
