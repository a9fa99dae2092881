"""The job lifecycle through real Celery worker processes: probe, cancel, concurrency, a killed worker."""
import time

import pytest

from jobs.models import TERMINAL_STATES, Job, JobState
from jobs.services import job_enqueue
from tests.waiting import wait_for, wait_for_job_state

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def sleep_job(owner, seconds, queue="gpu"):
    return job_enqueue(kind="diagnostic", owner=owner, task_name="tests.sleep", queue=queue,
                       params={"seconds": seconds})


def test_the_probe_runs_on_a_gpu_worker_and_reports_what_it_can_do(alice, api, gpu_worker):
    response = api(alice).post("/api/jobs/probe/", {"queue": "gpu"}, format="json")
    assert response.status_code == 202
    job = wait_for_job_state(response.json()["id"], JobState.SUCCEEDED)
    result = api(alice).get(f"/api/jobs/{job.id}/").json()["result"]
    assert result["host"] and result["python"] and result["cpu_count"] >= 1
    assert result["torch"]["version"] and result["onnxruntime"]
    assert result["engines"]["onnxruntime-cpu"]["available"] is True
    assert "devices" in result["cuda"]
    assert job.worker.startswith("gpu-")


def test_a_cancelled_queued_job_never_starts(alice, api, gpu_worker):
    blockers = [sleep_job(alice, 30), sleep_job(alice, 30)]
    for blocker in blockers:
        wait_for_job_state(blocker.id, JobState.RUNNING)
    queued = sleep_job(alice, 1)
    assert api(alice).post(f"/api/jobs/{queued.id}/cancel/").json()["state"] == JobState.CANCELLED
    for blocker in blockers:
        api(alice).post(f"/api/jobs/{blocker.id}/cancel/")
    for blocker in blockers:
        assert wait_for_job_state(blocker.id, JobState.CANCELLED).finished_at
    queued.refresh_from_db()
    assert queued.state == JobState.CANCELLED and queued.started_at is None


def test_the_gpu_worker_runs_at_most_two_jobs_at_once(alice, gpu_worker):
    jobs = [sleep_job(alice, 4) for _ in range(3)]
    peak = 0
    def all_done():
        nonlocal peak
        peak = max(peak, Job.objects.filter(pk__in=[j.id for j in jobs], state=JobState.RUNNING).count())
        return Job.objects.filter(pk__in=[j.id for j in jobs], state__in=TERMINAL_STATES).count() == 3
    wait_for(all_done, timeout=60, interval=0.05, message="three jobs to end")
    assert [Job.objects.get(pk=j.id).state for j in jobs] == [JobState.SUCCEEDED] * 3
    assert peak == 2


def test_a_running_job_stops_at_its_next_checkpoint(alice, api, gpu_worker):
    job = sleep_job(alice, 30)
    wait_for_job_state(job.id, JobState.RUNNING)
    api(alice).post(f"/api/jobs/{job.id}/cancel/")
    cancelled = wait_for_job_state(job.id, JobState.CANCELLED, timeout=10)
    assert cancelled.finished_at is not None


def test_a_killed_worker_leaves_its_job_failed_with_worker_lost(alice, settings, gpu_worker, default_worker):
    job = sleep_job(alice, 60)
    wait_for_job_state(job.id, JobState.RUNNING)
    gpu_worker.kill()
    bound = settings.JOB_STALE_AFTER_SECONDS + settings.REAPER_INTERVAL_SECONDS + 5
    failed = wait_for_job_state(job.id, JobState.FAILED, timeout=bound)
    assert "worker lost" in failed.error


def test_a_job_past_its_soft_time_limit_fails_with_timeout(alice, gpu_worker):
    job = job_enqueue(kind="diagnostic", owner=alice, task_name="tests.sleep", queue="gpu", params={"seconds": 30},
                      soft_time_limit=1, time_limit=10)
    assert job.task_name == "tests.sleep" and job.task_limits == {"soft_time_limit": 1, "time_limit": 10}  # to re-send
    failed = wait_for_job_state(job.id, JobState.FAILED, timeout=30)
    assert failed.error.startswith("timeout:") and "(1 s)" in failed.error


def test_a_soft_time_limit_that_lands_inside_a_query_or_a_swallowing_guard_still_fails_the_job_with_timeout(
        alice, gpu_worker):
    # The job writes progress in a tight loop: the limit's signal lands half-way through a database query (leaving
    # the connection mid-protocol) or inside a best-effort `except Exception` that swallows it. Before the fix,
    # such jobs ran on to the hard limit or were reaped as "worker lost".
    jobs = [job_enqueue(kind="diagnostic", owner=alice, task_name="tests.busy_progress", queue="gpu", params={},
                        soft_time_limit=1, time_limit=20) for _ in range(3)]
    for job in jobs:
        failed = wait_for_job_state(job.id, JobState.FAILED, timeout=30)
        assert failed.error == "timeout: the job ran past its time limit (1 s)"


def test_progress_is_sent_as_celery_events_that_flower_shows(alice, gpu_worker):
    import threading

    from config.celery import app

    seen = []
    with app.connection_for_read() as connection:
        receiver = app.events.Receiver(connection, handlers={"task-progress": seen.append})
        thread = threading.Thread(target=lambda: receiver.capture(limit=None, timeout=30, wakeup=True), daemon=True)
        thread.start()
        time.sleep(0.5)  # the receiver's queue is bound before the job starts
        job = sleep_job(alice, 1.5)
        wait_for_job_state(job.id, JobState.SUCCEEDED)
        wait_for(lambda: seen, timeout=5, message="a task-progress event")
        receiver.should_stop = True
    assert seen[0]["job_id"] == job.id and 0 <= seen[0]["progress"] < 1 and seen[0]["message"]
