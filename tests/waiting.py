"""Polling helpers for tests that wait on real workers.

A wait for a job stops at ANY terminal state: a test that expects SUCCEEDED fails at once with the job's error
instead of waiting out its timeout after the job already FAILED.
"""
import time


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def _describe(job) -> str:
    return f"job {job.pk} is {job.state}" + (f": {job.error}" if job.error else "")


def wait_for_job_end(job_id: int, timeout: float = 60.0):
    """The job once it is SUCCEEDED, FAILED or CANCELLED (the caller asserts which)."""
    from jobs.models import TERMINAL_STATES, Job

    def ended():
        job = Job.objects.get(pk=job_id)
        return job if job.state in TERMINAL_STATES else None

    return wait_for(ended, timeout=timeout, message=f"job {job_id} to end")


def wait_for_job_state(job_id: int, states, timeout: float = 60.0):
    """The job once it reaches one of `states`; fails at once (with its error) if it ends in another state."""
    from jobs.models import TERMINAL_STATES, Job

    states = {states} if isinstance(states, str) else set(states)

    def reached():
        job = Job.objects.get(pk=job_id)
        if job.state in states:
            return job
        if job.state in TERMINAL_STATES:
            raise AssertionError(f"waiting for {sorted(states)}, but {_describe(job)}")
        return None

    return wait_for(reached, timeout=timeout, message=f"job {job_id} to reach {sorted(states)}")
