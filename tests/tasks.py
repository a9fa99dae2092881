"""Test-only job kinds, loaded into test workers with --include: a job that sleeps with checkpoints."""
import time

from config.celery import app
from jobs.runner import job_task


@job_task(app, "tests.sleep")
def sleep_job(ctx):
    seconds = float(ctx.params.get("seconds", 5))
    steps = max(int(seconds / 0.1), 1)
    for step in range(steps):
        ctx.checkpoint()
        time.sleep(seconds / steps)
        if step % 5 == 0:
            ctx.progress(step / steps, f"step {step}/{steps}")
    return {"slept": seconds}
