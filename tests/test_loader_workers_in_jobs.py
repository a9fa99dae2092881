"""A job on a real gpu worker may start processes of its own: DataLoader workers, as ultralytics uses on CUDA.

A Celery prefork child is a daemon process, and multiprocessing refuses children to daemons ("daemonic processes
are not allowed to have children"); every training job on a GPU host failed that way. CPU training uses no
loader workers, so these tests force them on.
"""
import pytest

from jobs.models import JobState
from jobs.services import job_enqueue
from tests.waiting import wait_for_job_end

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def test_a_torch_dataloader_with_two_workers_runs_inside_a_gpu_job(gpu_worker, alice):
    job = job_enqueue(kind="diagnostic", owner=alice, task_name="tests.dataloader", queue="gpu",
                      params={"workers": 2})

    job = wait_for_job_end(job.pk, timeout=90)

    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result == {"total": float(sum(range(64))), "workers": 2}


def test_ultralytics_build_dataloader_with_workers_forced_on_runs_inside_a_gpu_job(gpu_worker, alice,
                                                                                  demo_dataset_tree):
    job = job_enqueue(kind="diagnostic", owner=alice, task_name="tests.ultralytics_loader", queue="gpu",
                      params={"workers": 2, "data_yaml": str(demo_dataset_tree / "data.yaml")})

    job = wait_for_job_end(job.pk, timeout=120)

    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["workers"] == 2 and job.result["images"] > 0
