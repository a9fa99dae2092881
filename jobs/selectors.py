"""Reads for jobs: what a user may see (accounts.visibility: the owner; admins all)."""

from accounts.visibility import visible_to
from core.errors import NotFound

from .models import Job


def job_list(*, user, state: str | None = None, kind: str | None = None):
    jobs = visible_to(Job.objects.select_related("owner"), user)
    if state:
        jobs = jobs.filter(state=state)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs


def job_get(*, user, job_id: int) -> Job:
    """The job if `user` may see it; 404 otherwise (never 403, so ids of others' jobs are not confirmed)."""
    job = job_list(user=user).filter(pk=job_id).first()
    if job is None:
        raise NotFound("No job with this id is visible to you.")
    return job
