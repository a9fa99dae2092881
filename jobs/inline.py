"""A job run inside another job's task: a benchmark's conversion (a gpu job waiting for another gpu job to get the
other slot could wait forever). It runs through the runner's own `job_body_run`: claimed, with a heartbeat of its
own (the outer job's does not stamp it, and a TensorRT build checkpoints rarely: it would be reaped as lost), and
its end recorded as for a job run by its task. What differs is in the context: a checkpoint is the outer job's (its
cancel and time limit end this one too, worded so), and the exception goes on to the outer job.
"""
from . import lifecycle
from .models import Job
from .runner import JobCancelled, heartbeat_start, job_body_run


class InlineJobContext:
    """What a job body needs of its context (runner.JobContext), for a job run inside `outer`'s task."""

    nested = True  # the exception that ended it goes on: the outer job decides what it means for itself

    def __init__(self, *, job: Job, outer, on_progress):
        self.job, self.job_id, self.params = job, job.pk, job.params
        self.partial_result: dict = {}
        self.ended = False
        self._outer, self._on_progress = outer, on_progress
        self.cancelled_message = f"cancelled with the {outer.job.kind} that ran it"

    def checkpoint(self) -> None:
        lifecycle.job_heartbeat(job_id=self.job_id)
        self._outer.checkpoint()

    def progress(self, fraction: float, message: str = "", eta_seconds: float | None = None) -> None:
        lifecycle.job_set_progress(job_id=self.job_id, fraction=fraction, message=message)
        self._on_progress(message)

    def cancelled_result(self, exc: JobCancelled) -> dict | None:
        return self.partial_result or None  # exc carries the outer job's

    def timeout_message(self) -> str:
        return f"timeout: the {self._outer.job.kind} that ran it passed its time limit"

    def record(self, outcome, **kwargs) -> bool:
        # On the outer job's connection, which it goes on using (runner._record closes it); the outer job records
        # its own end on a fresh one.
        return outcome(**kwargs)


def job_run_inline(*, job_id: int, outer, worker: str, body, on_progress) -> dict:
    """Claim job `job_id` (queued, sent to no task) for `worker`, run `body(ctx)` now inside the running job `outer`
    and record how it ended; returns the result, or raises what ended it (JobCancelled when `outer` was cancelled)."""
    if not lifecycle.job_claim(job_id=job_id, worker=worker, task_id=""):
        raise RuntimeError(f"job {job_id} could not be claimed to run inline")
    ctx = InlineJobContext(job=Job.objects.get(pk=job_id), outer=outer, on_progress=on_progress)
    heartbeat = heartbeat_start(job_id)
    try:
        return job_body_run(ctx, body)
    finally:
        heartbeat.stop()
