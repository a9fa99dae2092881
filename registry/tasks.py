"""Celery tasks of the registry. Names starting with `registry.convert` are routed to the gpu queue."""
from config.celery import app
from jobs.runner import job_task


@job_task(app, "registry.convert")
def convert_job(ctx):
    from registry.conversions.runner import conversion_execute

    return conversion_execute(ctx=ctx)
