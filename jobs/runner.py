"""Runs a job inside a Celery task: claim, heartbeat while running, checkpoints for cancel, always finish.

A task body is a function `fn(ctx) -> dict`. It calls `ctx.progress(...)` as it goes and `ctx.checkpoint()`
where stopping is safe; raising `PermanentJobError` or a domain error (core/errors.py) fails the job with that
message, anything else fails it with the exception's text, `JobCancelled` (from a checkpoint) cancels it. A job run
inside another job's task (a benchmark's conversion) goes through the same `job_body_run`, with the context in
inline.py.

The soft time limit is sticky. billiard raises `SoftTimeLimitExceeded` from a signal handler wherever the job
happens to be, and a broad `except Exception` on the way (a best-effort Redis publish, a library's own guard)
can swallow it; so every later checkpoint and progress call raises it again once the limit has passed. And as
the signal may land half-way through a query, leaving the database connection mid-protocol, how a job ended is
always recorded on a fresh connection.
"""
import logging
import socket
import threading
import time
import traceback

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import close_old_connections, connection

from core.errors import DomainError

from . import lifecycle
from .models import Job, JobState

log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised at a checkpoint when a user asked to cancel; carries what was kept so far."""

    def __init__(self, result: dict | None = None):
        super().__init__("cancelled")
        self.result = result


class PermanentJobError(Exception):
    """A failure that retrying will not fix (bad input, missing capability); its message is shown to users."""


class _Heartbeat(threading.Thread):
    def __init__(self, job_id: int, interval: float):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.job_id = job_id
        self.interval = interval
        self.stopped = threading.Event()
        self.cancel_requested = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(self.interval):
                try:
                    if lifecycle.job_heartbeat(job_id=self.job_id):
                        self.cancel_requested.set()
                except Exception:
                    log.warning("heartbeat failed for job %s", self.job_id, exc_info=True)
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        self.join(timeout=5)


def heartbeat_start(job_id: int) -> _Heartbeat:
    """A thread that stamps the job's heartbeat (and notices a cancel request) until .stop()."""
    heartbeat = _Heartbeat(job_id, settings.JOB_HEARTBEAT_SECONDS)
    heartbeat.start()
    return heartbeat


class JobContext:
    def __init__(self, job: Job, task, heartbeat: _Heartbeat):
        self.job = job
        self.job_id = job.pk
        self.params = job.params
        self.task = task
        self._heartbeat = heartbeat
        self.partial_result: dict = {}
        self.ended = False  # its end recorded (job_body_run)
        self._started = time.monotonic()
        limit = _soft_limit(task)
        self._deadline = self._started + limit if limit else None

    def raise_if_past_soft_limit(self) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise SoftTimeLimitExceeded()

    @property
    def cancel_requested(self) -> bool:
        return self._heartbeat.cancel_requested.is_set()

    def checkpoint(self) -> None:
        """Stop here if cancellation was requested (checks the flag the heartbeat keeps, and the row), or the soft
        time limit has passed."""
        self.raise_if_past_soft_limit()
        if self.cancel_requested or Job.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            self._heartbeat.cancel_requested.set()
            raise JobCancelled(self.partial_result or None)

    def progress(self, fraction: float, message: str = "", eta_seconds: float | None = None) -> None:
        self.raise_if_past_soft_limit()
        if eta_seconds is None and fraction > 0.0:
            elapsed = time.monotonic() - self._started
            eta_seconds = round(elapsed * (1.0 - fraction) / fraction, 1)
        lifecycle.job_set_progress(job_id=self.job_id, fraction=fraction, message=message, eta_seconds=eta_seconds)
        meta = {"job_id": self.job_id, "progress": fraction, "message": message, "eta_seconds": eta_seconds}
        try:  # the Celery task state (result backend) and a `task-progress` event, which Flower shows live
            self.task.update_state(state="PROGRESS", meta=meta)
            self.task.send_event("task-progress", **meta)
        except Exception:
            log.debug("could not update the Celery task state", exc_info=True)

    # How its end is recorded (job_body_run); a job run inside another job's task words it its own way (inline.py).
    nested = False  # the exception that ended it stays here: the task is done
    cancelled_message = "cancelled at a checkpoint"

    def cancelled_result(self, exc: JobCancelled) -> dict | None:
        return exc.result

    def timeout_message(self) -> str:
        return f"timeout: the job ran past its time limit ({_soft_limit(self.task):g} s)"

    def record(self, outcome, **kwargs) -> bool:
        return _record(outcome, **kwargs)


def run_job(task, job_id: int, body) -> dict | None:
    """Claim job `job_id`, run `body(ctx)`, finish the job whatever happens. Returns the result (or None)."""
    close_old_connections()
    worker = f"{task.request.hostname or socket.gethostname()}"
    task_id = task.request.id or ""
    if not lifecycle.job_claim(job_id=job_id, worker=worker, task_id=task_id):
        state = Job.objects.filter(pk=job_id).values_list("state", flat=True).first()
        log.info("job %s not claimed (state %s): skipping", job_id, state)
        return {"skipped": True, "state": state}
    job = Job.objects.get(pk=job_id)
    heartbeat = heartbeat_start(job_id)
    ctx = JobContext(job, task, heartbeat)
    try:
        return job_body_run(ctx, _after_checkpoint(body))
    finally:
        heartbeat.stop()
        if not ctx.ended:
            _record(_fail_if_still_running, job_id=job_id)


def _after_checkpoint(body):
    def checked(ctx):
        ctx.checkpoint()  # a cancel asked for while the job was queued
        return body(ctx)

    return checked


def job_body_run(ctx, body) -> dict | None:
    """Run `body(ctx)` as the claimed job `ctx.job_id` and record how it ended: succeeded with its result, cancelled
    (JobCancelled), failed (the time limit, a PermanentJobError's message, any other exception's). The exception
    then ends here, or goes on to the job that ran this one inside its own task (`ctx.nested`, inline.py)."""
    try:
        result = body(ctx) or {}
        ctx.ended = lifecycle.job_succeed(job_id=ctx.job_id, result=result)
        return result
    except Exception as exc:
        outcome, recorded = _ending(ctx, exc)
        ctx.ended = ctx.record(outcome, job_id=ctx.job_id, **recorded)
        if ctx.nested:
            raise
    return None


def _ending(ctx, exc: Exception) -> tuple:
    """The lifecycle call that records a job ended by `exc`, and what it records."""
    if isinstance(exc, JobCancelled):
        return lifecycle.job_mark_cancelled, {"result": ctx.cancelled_result(exc), "message": ctx.cancelled_message}
    if isinstance(exc, SoftTimeLimitExceeded):
        return lifecycle.job_fail, {"error": ctx.timeout_message(), "result": ctx.partial_result or None}
    if isinstance(exc, (PermanentJobError, DomainError)):  # a message for users; retrying will not change it
        return lifecycle.job_fail, {"error": str(exc), "result": ctx.partial_result or None}
    if soft_limit_hit(exc):  # an error raised while the limit unwound (the query it cut short, say)
        return lifecycle.job_fail, {"error": ctx.timeout_message(), "result": ctx.partial_result or None}
    log.exception("job %s failed", ctx.job_id)
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return lifecycle.job_fail, {"error": detail, "result": ctx.partial_result or None}


def soft_limit_hit(exc: BaseException | None) -> bool:
    """True if `exc` is the soft time limit or was raised while it unwound: the signal may land half-way through a
    query, and the database layer's clean-up then fails on the cut-short connection (psycopg's "can't change
    'autocommit' now"), raising its own error with the time limit as its context."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, SoftTimeLimitExceeded):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _fail_if_still_running(*, job_id: int) -> bool:
    if Job.objects.filter(pk=job_id, state=JobState.RUNNING).exists():
        return lifecycle.job_fail(job_id=job_id, error="the job ended without reporting a result")
    return False


def _record(outcome, **kwargs) -> bool:
    """Record how a job ended, on a fresh database connection: the one the job used may be unusable (a soft time
    limit can interrupt a query half-way), or may answer the half-read query instead of this one. One retry."""
    for attempt in (1, 2):
        try:
            connection.close()
        except Exception:
            log.debug("closing the job's database connection failed", exc_info=True)
        try:
            return outcome(**kwargs)
        except Exception:
            if attempt == 2:
                raise
            log.warning("recording how job %s ended failed; retrying", kwargs.get("job_id"), exc_info=True)
    return False


def _soft_limit(task) -> float:
    """The soft time limit this task ran under: its own (set when it was sent) or the global one."""
    limits = getattr(task.request, "timelimit", None) or (None, None)
    return limits[1] or task.soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT


def job_task(name: str, **options):
    """Declare a Celery task that runs `body(ctx)` as job `job_id` (the task's only argument). A shared task: the
    apps never import the Celery app (config/, at the top of the house), which binds it when it loads."""

    def decorator(body):
        @shared_task(name=name, bind=True, **options)
        def task(self, job_id: int):
            return run_job(self, int(job_id), body)

        task.body = body
        return task

    return decorator
