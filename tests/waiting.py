"""Polling helpers for tests that wait on real workers."""
import time


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


def wait_for_job_state(job_id: int, states, timeout: float = 60.0):
    from jobs.models import Job

    states = {states} if isinstance(states, str) else set(states)

    def reached():
        job = Job.objects.get(pk=job_id)
        return job if job.state in states else None

    return wait_for(reached, timeout=timeout, message=f"job {job_id} to reach {states}")
