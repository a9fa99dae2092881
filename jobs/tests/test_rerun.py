"""A gpu job whose host stopped heart-beating is sent again (bounded attempts); other jobs are failed as before."""
from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import lifecycle, rerun
from jobs.models import Job, JobState

STALE = timezone.now() - timedelta(hours=1)


def stale_job(owner, kind="training", **fields):
    fields = {"state": JobState.RUNNING, "heartbeat_at": STALE, "task_name": "training.train", "queue": "gpu",
              "celery_task_id": "first", "attempts": 1, "worker": "gpu-b@host-b", **fields}
    return Job.objects.create(kind=kind, owner=owner, **fields)


@pytest.mark.django_db
def test_a_training_whose_host_died_is_queued_again_as_a_new_task(alice):
    job = stale_job(alice)
    assert rerun.jobs_reap_lost() == [job.id]
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.celery_task_id != "first" and job.worker == ""
    assert job.heartbeat_at is None and job.error == ""
    moved = job.transitions.get(from_state=JobState.RUNNING, to_state=JobState.QUEUED)
    assert "sent again to another worker (attempt 2 of 3; it ran on gpu-b@host-b)" in moved.message


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["conversion", "benchmark"])
def test_conversions_and_benchmarks_are_simply_run_again(alice, kind):
    job = stale_job(alice, kind=kind)
    rerun.jobs_reap_lost()
    job.refresh_from_db()
    assert job.state == JobState.QUEUED


@pytest.mark.django_db
def test_a_job_whose_attempts_are_used_up_is_failed(alice, settings):
    job = stale_job(alice, attempts=settings.JOB_MAX_ATTEMPTS)
    rerun.jobs_reap_lost()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "worker lost" in job.error


@pytest.mark.django_db
def test_a_job_being_cancelled_or_not_a_gpu_job_is_failed_not_run_again(alice):
    cancelling = stale_job(alice, cancel_requested=True)
    diagnostic = stale_job(alice, kind="diagnostic", task_name="tests.sleep")
    rerun.jobs_reap_lost()
    assert {j.state for j in Job.objects.filter(pk__in=[cancelling.pk, diagnostic.pk])} == {JobState.FAILED}


@pytest.mark.django_db
def test_a_job_whose_heartbeat_came_back_is_not_queued_again(alice):
    job = stale_job(alice, heartbeat_at=timezone.now())
    assert lifecycle.job_requeue_lost(job_id=job.id, stale_before=STALE + timedelta(minutes=1), task_id="second",
                                      message="lost") is False
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.celery_task_id == "first" and not job.transitions.exists()
