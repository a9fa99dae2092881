"""The per-user job quota (QUOTA_ACTIVE_JOBS); admins are exempt.

Checked in the one place every job goes through, jobs.services.job_enqueue. Over the limit is a 429 whose message
names the limit and its setting; the request then leaves nothing behind (the caller's transaction rolls back, no
task is sent). The upload quota (QUOTA_UPLOAD_MB) lives with uploads, in registry/uploads.py.

A job that starts others on its owner's behalf (a search starting its individuals) does not count against the
starts it makes (`jobs_not_counted`): with QUOTA_ACTIVE_JOBS=1 a search still trains, one individual at a time.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

from core.errors import QuotaExceeded

from .models import Job, JobState

_NOT_COUNTED: ContextVar[frozenset] = ContextVar("quota_jobs_not_counted", default=frozenset())


def quota_exempt(user) -> bool:
    """Admins are exempt from every quota."""
    return bool(getattr(user, "is_platform_admin", False))


@contextmanager
def jobs_not_counted(*job_ids: int):
    """Job starts inside this block do not count these jobs against the quota."""
    token = _NOT_COUNTED.set(_NOT_COUNTED.get() | frozenset(job_ids))
    try:
        yield
    finally:
        _NOT_COUNTED.reset(token)


def active_jobs_count(*, user) -> int:
    return Job.objects.filter(owner=user, state__in=[JobState.QUEUED, JobState.RUNNING]) \
        .exclude(pk__in=_NOT_COUNTED.get()).count()


def job_quota_applies(*, user) -> bool:
    """Whether `user`'s job starts are counted at all (a QUOTA_ACTIVE_JOBS is set and the user is not an admin)."""
    return bool(settings.QUOTA_ACTIVE_JOBS) and not quota_exempt(user)


def job_quota_check(*, user) -> None:
    """429 when `user` already has QUOTA_ACTIVE_JOBS queued or running jobs. Call inside the creating transaction,
    after locking the user's row (jobs.services does), so two requests at once cannot both take the last slot."""
    limit = settings.QUOTA_ACTIVE_JOBS
    if not limit or quota_exempt(user):
        return
    active = active_jobs_count(user=user)
    if active >= limit:
        raise QuotaExceeded(f"Job quota reached: {active} of your jobs are queued or running and the limit is {limit} "
                            "per user (QUOTA_ACTIVE_JOBS). Wait for one to finish or cancel one.")
