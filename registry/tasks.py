"""Celery tasks of the registry. Names starting with `registry.convert` are routed to the gpu queue."""
from jobs.runner import job_task


@job_task("registry.convert")
def convert_job(ctx):
    from registry.conversions.runner import conversion_execute

    return conversion_execute(ctx=ctx)
