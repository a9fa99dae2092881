"""The gpu worker's pool (core/worker_pool.py): a child that has run its last task never gets the next job."""
from types import SimpleNamespace

import pytest

from core.worker_pool import RecyclingAwareAsynPool


def pool_with_one_busy_child(budget: int):
    pool = object.__new__(RecyclingAwareAsynPool)  # the bookkeeping only; no processes
    child = SimpleNamespace(pid=4242)
    pool._maxtasksperchild, pool._pool, pool._fileno_to_inq = budget, [child], {7: child}
    pool._busy_workers, pool._tasks_done_by_pid = {7}, {}
    pool._mark_worker_as_available = pool._busy_workers.discard
    return pool


def test_a_child_that_used_up_its_task_budget_stays_busy_until_it_exits():
    pool = pool_with_one_busy_child(budget=1)
    pool.on_job_ready(job=1, i=0, obj=None, inqW_fd=7)
    assert 7 in pool._busy_workers and pool._tasks_done_by_pid == {}


def test_a_child_with_tasks_left_becomes_available_again():
    pool = pool_with_one_busy_child(budget=2)
    pool.on_job_ready(job=1, i=0, obj=None, inqW_fd=7)
    assert 7 not in pool._busy_workers
    pool._busy_workers.add(7)
    pool.on_job_ready(job=2, i=0, obj=None, inqW_fd=7)
    assert 7 in pool._busy_workers


def test_without_a_task_budget_the_pool_behaves_like_prefork():
    pool = pool_with_one_busy_child(budget=None)
    pool.on_job_ready(job=1, i=0, obj=None, inqW_fd=7)
    assert 7 not in pool._busy_workers


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_the_gpu_worker_runs_on_this_pool(gpu_worker):
    from config.celery import app

    stats = app.control.inspect(destination=[gpu_worker.hostname], timeout=5).stats()
    assert stats[gpu_worker.hostname]["pool"]["implementation"] == "core.worker_pool:TaskPool"
    assert stats[gpu_worker.hostname]["pool"]["max-tasks-per-child"] == 1
