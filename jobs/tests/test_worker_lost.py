"""A pool child that died mid-task (WorkerLostError) fails the job its worker claimed with that task, and no other."""
import pytest

from jobs import lifecycle
from jobs.models import Job, JobKind, JobState

pytestmark = pytest.mark.django_db


def test_the_claimed_job_of_a_lost_task_fails_at_once(alice):
    job = Job.objects.create(kind=JobKind.TRAINING, owner=alice, queue="gpu", celery_task_id="task-1")
    assert lifecycle.job_claim(job_id=job.pk, worker="gpu@host", task_id="task-1")
    assert lifecycle.job_fail_worker_lost(task_id="task-1", detail="signal 9") == job.pk
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "worker lost" in job.error


def test_a_running_job_no_worker_holds_is_left_to_its_own_supervisor(alice):
    # A search's job: its first controller step carried the job's task id, but no worker claims the job; a step
    # that died is resumed by the sweep.
    job = Job.objects.create(kind=JobKind.SEARCH, owner=alice, queue="default", celery_task_id="task-2",
                             state=JobState.RUNNING)
    assert lifecycle.job_fail_worker_lost(task_id="task-2", detail="signal 9") is None
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING
