"""Writes for jobs: create a job and send its Celery task once the row is committed; start a row that owns a job."""
import logging
import uuid
from typing import TypeVar

from celery import current_app
from django.db import transaction

from core.errors import Unavailable
from core.queues import CELERY_QUEUES
from core.redis import redis_client

from . import lifecycle
from .models import Job, JobSubject
from .quota import job_quota_applies, job_quota_check

log = logging.getLogger(__name__)

Subject = TypeVar("Subject", bound=JobSubject)

HOST_QUEUE_PREFIX = "gpu.host."  # one per host, consumed by that host's gpu workers (hosts/routing.py)


def job_enqueue(*, kind: str, owner, task_name: str, queue: str, params: dict | None = None,
                soft_time_limit: float | None = None, time_limit: float | None = None) -> Job:
    """Create a QUEUED job and send `task_name(job_id)` to `queue` after commit (never before the row exists).

    If the broker cannot be reached the job is FAILED at once and the caller gets a 503. Over the owner's job
    quota (jobs/quota.py) nothing is created and the caller gets a 429.
    `soft_time_limit`/`time_limit` (seconds) override the Celery defaults for this one task.
    """
    if queue not in CELERY_QUEUES and not queue.startswith(HOST_QUEUE_PREFIX):
        raise ValueError(f"{queue!r} is not a queue Celery workers consume (core/queues.py, hosts/routing.py)")
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        if job_quota_applies(user=owner):
            # The owner's row is locked so that concurrent starts by one user count each other's jobs (the quota);
            # without a quota there is nothing to count, and every enqueue of a user would wait on the others.
            list(type(owner).objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True))
            job_quota_check(user=owner)
        limits = {key: value for key, value in (("soft_time_limit", soft_time_limit), ("time_limit", time_limit))
                  if value is not None}
        job = Job.objects.create(kind=kind, owner=owner, queue=queue, params=params or {}, celery_task_id=task_id,
                                 task_name=task_name, task_limits=limits)
        transaction.on_commit(lambda: _send(job.pk, task_name, queue, task_id, **limits))
    job.refresh_from_db()
    return job


def job_subject_start(subject_model: type[Subject], /, *, owner, kind: str, task_name: str, queue: str,
                      job_params: dict, soft_time_limit: float | None = None, time_limit: float | None = None,
                      **fields) -> Subject:
    """Create a QUEUED job with `job_params` (job_enqueue: 429 over quota, 503 without a broker) and the
    `subject_model` row that owns it, with `fields` (a field may be named `model`: the first argument is positional),
    in one transaction: the task is sent once both rows are committed. The row's owner is `owner` too (a conversion
    has no owner of its own: it is its job's)."""
    if subject_model.owner_field == "owner":
        fields["owner"] = owner
    with transaction.atomic():
        job = job_enqueue(kind=kind, owner=owner, task_name=task_name, queue=queue, params=job_params,
                          soft_time_limit=soft_time_limit, time_limit=time_limit)
        return subject_model.objects.create(job=job, **fields)


def _send(job_id: int, task_name: str, queue: str, task_id: str, **limits) -> None:
    try:
        redis_client().ping()  # fail fast: kombu and the result backend would otherwise retry for many seconds
        current_app.send_task(task_name, args=[job_id], queue=queue, task_id=task_id, retry=True,
                              retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                                            "interval_max": 0.5}, **limits)
    except Exception as exc:
        log.error("could not enqueue job %s: %s", job_id, exc)
        lifecycle.job_fail(job_id=job_id, error=f"the job could not be queued: the broker is unreachable ({exc})")
        raise Unavailable("The job queue (Redis) is unreachable; the job was not started.") from exc


def job_cancel(*, job: Job) -> Job:
    return lifecycle.job_request_cancel(job=job)
