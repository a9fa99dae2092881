"""Reads for jobs: what a user may see."""
from django.http import Http404

from .models import Job


def job_list(*, user, state: str | None = None, kind: str | None = None):
    jobs = Job.objects.select_related("owner")
    if not user.is_platform_admin:
        jobs = jobs.filter(owner=user)
    if state:
        jobs = jobs.filter(state=state)
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs


def job_get(*, user, job_id: int) -> Job:
    """The job if `user` may see it; 404 otherwise (never 403, so ids of others' jobs are not confirmed)."""
    job = job_list(user=user).filter(pk=job_id).first()
    if job is None:
        raise Http404("No job with this id is visible to you.")
    return job


def jobs_active_referencing(*, keys: tuple[str, ...], object_id: int):
    """QUEUED or RUNNING jobs whose params name `object_id` under one of `keys` (as a number or a string):
    what keeps a dataset or model from being deleted."""
    from django.db.models import Q

    from .models import JobState

    refers = Q()
    for key in keys:
        refers |= Q(**{f"params__{key}": object_id}) | Q(**{f"params__{key}": str(object_id)})
    return Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING]).filter(refers)
