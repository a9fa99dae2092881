"""Per-user quotas: active jobs (QUOTA_ACTIVE_JOBS) and stored upload bytes (QUOTA_UPLOAD_MB); admins are exempt.

Checked in the one place each kind of work goes through: jobs.services.job_enqueue for every job, and the dataset
and model upload services for bytes. Over the limit is a 429 whose message names the limit and its setting; the
request then leaves nothing behind (the caller's transaction rolls back, no task is sent).

A job that starts others on its owner's behalf (a search starting its individuals) does not count against the
starts it makes (`jobs_not_counted`): with QUOTA_ACTIVE_JOBS=1 a search still trains, one individual at a time.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db.models import Sum
from rest_framework import exceptions, status


class QuotaExceeded(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "quota_exceeded"


def _exempt(user) -> bool:
    return bool(getattr(user, "is_platform_admin", False))


_NOT_COUNTED: ContextVar[frozenset] = ContextVar("quota_jobs_not_counted", default=frozenset())


@contextmanager
def jobs_not_counted(*job_ids: int):
    """Job starts inside this block do not count these jobs against the quota."""
    token = _NOT_COUNTED.set(_NOT_COUNTED.get() | frozenset(job_ids))
    try:
        yield
    finally:
        _NOT_COUNTED.reset(token)


def active_jobs_count(*, user) -> int:
    from jobs.models import Job, JobState

    return Job.objects.filter(owner=user, state__in=[JobState.QUEUED, JobState.RUNNING]) \
        .exclude(pk__in=_NOT_COUNTED.get()).count()


def job_quota_applies(*, user) -> bool:
    """Whether `user`'s job starts are counted at all (a QUOTA_ACTIVE_JOBS is set and the user is not an admin)."""
    return bool(settings.QUOTA_ACTIVE_JOBS) and not _exempt(user)


def job_quota_check(*, user) -> None:
    """429 when `user` already has QUOTA_ACTIVE_JOBS queued or running jobs. Call inside the creating transaction,
    after locking the user's row (jobs.services does), so two requests at once cannot both take the last slot."""
    limit = settings.QUOTA_ACTIVE_JOBS
    if not limit or _exempt(user):
        return
    active = active_jobs_count(user=user)
    if active >= limit:
        raise QuotaExceeded(f"Job quota reached: {active} of your jobs are queued or running and the limit is {limit} "
                            "per user (QUOTA_ACTIVE_JOBS). Wait for one to finish or cancel one.")


def stored_bytes(*, user) -> int:
    """Bytes the user's datasets (archives) and model versions occupy in storage."""
    from registry.models import Dataset, ModelVersion

    datasets = Dataset.objects.filter(owner=user).aggregate(total=Sum("size_bytes"))["total"] or 0
    models = ModelVersion.objects.filter(owner=user).aggregate(total=Sum("file_size"))["total"] or 0
    return datasets + models


def upload_quota_check_locked(*, user, incoming_bytes: int) -> None:
    """upload_quota_check with the user's row locked: call inside the transaction that creates the upload's row,
    so two uploads at the quota's edge cannot both pass (the second waits for the first's row, then counts it).
    SQLite has no row locks, but its IMMEDIATE transactions (config/settings.py) serialise the same way."""
    if not settings.QUOTA_UPLOAD_MB or _exempt(user):
        return
    list(type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    upload_quota_check(user=user, incoming_bytes=incoming_bytes)


def upload_quota_check(*, user, incoming_bytes: int) -> None:
    """429 when storing `incoming_bytes` more would take `user` past QUOTA_UPLOAD_MB."""
    limit_mb = settings.QUOTA_UPLOAD_MB
    if not limit_mb or _exempt(user):
        return
    used = stored_bytes(user=user)
    if used + incoming_bytes > limit_mb * 1024 * 1024:
        raise QuotaExceeded(f"Storage quota reached: you store {used / 2**20:.1f} MB and this upload adds "
                            f"{incoming_bytes / 2**20:.1f} MB, over the limit of {limit_mb} MB per user "
                            "(QUOTA_UPLOAD_MB). Delete datasets or models you no longer need.")
