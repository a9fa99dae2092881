"""A training whose whole worker is SIGKILLed (its host gone) resumes on another worker from the stored checkpoint.

On one machine with filesystem storage; across hosts with S3 it is tests/test_two_hosts.py.
"""
import pytest

from jobs.models import Job, JobState
from tests.waiting import wait_for, wait_for_job_state
from tests.workers import WorkerProcess, gpu_worker_args
from training.models import TrainingRun
from training.tests.test_training_with_worker import start

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def test_a_run_whose_worker_died_resumes_on_another_from_its_last_stored_epoch(alice, api, gpu_worker,
                                                                               default_worker, demo_dataset):
    run = start(api(alice), demo_dataset, epochs=6)
    wait_for(lambda: TrainingRun.objects.get(pk=run["id"]).checkpoint_epoch >= 2, timeout=120, interval=0.05,
             message="a checkpoint of epoch 2 in the store")
    first_host = Job.objects.get(pk=run["job"]).worker
    gpu_worker.kill()  # the whole worker, parent and child: no process is left to report it; the reaper sees it
    stored = TrainingRun.objects.get(pk=run["id"]).checkpoint_epoch
    other = WorkerProcess("gpu-other", gpu_worker_args()).start()
    try:
        job = wait_for_job_state(run["job"], JobState.SUCCEEDED, timeout=240)
    finally:
        other.stop()
    detail = api(alice).get(f"/api/training-runs/{run['id']}/").json()
    assert detail["hosts"] == [first_host, job.worker] and job.worker.startswith("gpu-other")
    assert detail["resumed_from_epoch"] >= stored >= 2 and job.attempts == 2
    assert [epoch["epoch"] for epoch in detail["epochs"]] == [1, 2, 3, 4, 5, 6]
    assert any(t.to_state == JobState.QUEUED for t in job.transitions.all())
