"""Thin Celery task for benchmarks: `benchmarks.run(job_id)` on the gpu queue (the work is in runner.py).

Progress goes through the job context per engine variant, so the job row, the API and Flower show which engine is
being measured.
"""
from jobs.runner import job_task

from .runner import benchmark_run_execute
from .services import benchmark_run_placed


@job_task("benchmarks.run")
def benchmark_run(ctx):
    benchmark_run_placed(job_id=ctx.job_id)
    return benchmark_run_execute(ctx)
