"""Faults with real processes: a gpu child SIGKILLed mid-job, and Redis losing every message while jobs are queued
and running. Every job ends SUCCEEDED, or FAILED with a reason, or runs again: none is stuck."""
import json
import signal
import time
from datetime import timedelta

import psutil
import pytest
from django.utils import timezone

from core.embedded_redis import free_port, start
from jobs.lost_messages import jobs_reap_lost_messages
from jobs.models import Job, JobState
from jobs.services import job_enqueue
from tests.waiting import wait_for, wait_for_job_state
from tests.workers import WorkerProcess, gpu_worker_args

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.workers
def test_a_sigkilled_gpu_child_fails_its_job_within_seconds_not_at_the_reaper(alice, gpu_worker):
    job = job_enqueue(kind="diagnostic", owner=alice, task_name="tests.sleep", queue="gpu", params={"seconds": 60})
    wait_for_job_state(job.id, JobState.RUNNING)
    killed_at = time.monotonic()
    for child in psutil.Process(gpu_worker.process.pid).children():
        child.send_signal(signal.SIGKILL)
    failed = wait_for_job_state(job.id, JobState.FAILED, timeout=10)
    assert time.monotonic() - killed_at < 5
    assert failed.error.startswith("worker lost: the process running the job died") and "SIGKILL" in failed.error


def _queue_message(task_id: str) -> str:
    return json.dumps({"body": "", "headers": {"id": task_id, "task": "tests.sleep"}, "properties": {}})


def test_a_queued_job_whose_message_redis_lost_is_failed_with_the_reason(alice, settings):
    from core.redis import redis_client

    settings.JOB_LOST_MESSAGE_SECONDS = 0
    old = timezone.now() - timedelta(seconds=30)
    lost = Job.objects.create(kind="diagnostic", owner=alice, queue="e1-test-queue", celery_task_id="lost-1")
    waiting = Job.objects.create(kind="diagnostic", owner=alice, queue="e1-test-queue", celery_task_id="waiting-1")
    Job.objects.filter(pk__in=[lost.pk, waiting.pk]).update(created_at=old)
    client = redis_client()
    client.delete("e1-test-queue")
    client.lpush("e1-test-queue", _queue_message("waiting-1"))
    try:
        assert jobs_reap_lost_messages() == {"resent": [], "failed": [lost.pk]}  # no task recorded: not re-sent
    finally:
        client.delete("e1-test-queue")
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert lost.state == JobState.FAILED and lost.error.startswith("lost: its message vanished")
    assert waiting.state == JobState.QUEUED


def test_a_job_queued_where_no_celery_worker_consumes_is_failed_with_the_reason(alice, settings):
    job = Job.objects.create(kind="probe", owner=alice, queue="inference", celery_task_id="never-1")
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=30))
    assert jobs_reap_lost_messages()["failed"] == [job.pk]
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "no Celery worker consumes the 'inference' queue" in job.error


def test_a_missing_message_is_given_its_grace_before_the_job_is_failed(alice, settings):
    settings.JOB_LOST_MESSAGE_SECONDS = 60
    job = Job.objects.create(kind="diagnostic", owner=alice, queue="e1-test-queue", celery_task_id="lost-2")
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=30))
    assert jobs_reap_lost_messages() == {"resent": [], "failed": []}  # first seen missing now
    assert jobs_reap_lost_messages(now=timezone.now() + timedelta(seconds=61))["failed"] == [job.pk]


@pytest.mark.workers
def test_a_queued_job_whose_message_was_lost_is_sent_again_and_runs(alice, api, settings, gpu_worker):
    settings.JOB_LOST_MESSAGE_SECONDS = 0
    job = Job.objects.create(kind="diagnostic", owner=alice, queue="gpu", params={"seconds": 0.2},
                             celery_task_id=f"lost-{time.monotonic_ns()}", task_name="tests.sleep")  # never sent
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=30))

    assert jobs_reap_lost_messages()["resent"] == [job.pk]

    done = wait_for_job_state(job.id, JobState.SUCCEEDED, timeout=60)
    assert done.resends == 1 and done.attempts == 1
    assert api(alice).get(f"/api/jobs/{job.pk}/").json()["resends"] == 1
    history = list(done.transitions.values_list("from_state", "to_state", "message"))
    assert (JobState.QUEUED, JobState.QUEUED,
            "sent again (1 of 2): its message vanished from the 'gpu' queue in Redis") in history


def test_a_lost_job_whose_resends_are_used_up_is_failed_saying_so(alice, settings):
    settings.JOB_LOST_MESSAGE_SECONDS = 0
    job = Job.objects.create(kind="diagnostic", owner=alice, queue="e1-test-queue", celery_task_id="lost-3",
                             task_name="tests.sleep", resends=settings.JOB_LOST_MESSAGE_RESENDS)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=30))

    assert jobs_reap_lost_messages() == {"resent": [], "failed": [job.pk]}

    job.refresh_from_db()
    assert job.state == JobState.FAILED and "was sent again 2 time(s)" in job.error


@pytest.mark.workers
def test_after_redis_restarts_empty_every_job_finishes_fails_with_a_reason_or_runs_again(alice, settings, tmp_path):
    from celery import Celery

    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis_process = start(port=port, data_dir=tmp_path / "redis-1", persist=False)
    # This test's own Redis, worker and Celery client: the session's shared Redis is never restarted.
    # Not made the current app: the platform sends its jobs through celery.current_app, which must stay the session's.
    app = Celery("fault-test", broker=url, backend=url, set_as_current=False)
    app.conf.update(task_serializer="json", accept_content=["json"], broker_connection_retry_on_startup=True)
    worker = WorkerProcess("gpu-fault", gpu_worker_args())
    worker.extra_env = {"REDIS_URL": url}
    settings.REDIS_URL = url
    settings.JOB_LOST_MESSAGE_SECONDS = 1

    def send(seconds):
        job = Job.objects.create(kind="diagnostic", owner=alice, queue="gpu", params={"seconds": seconds},
                                 celery_task_id=f"fault-{time.monotonic_ns()}")
        app.send_task("tests.sleep", args=[job.pk], queue="gpu", task_id=job.celery_task_id)
        return job

    try:
        worker.start(ready=lambda: bool(app.control.ping(destination=[worker.hostname], timeout=0.5)))
        running = [send(4), send(4)]
        for job in running:
            wait_for_job_state(job.id, JobState.RUNNING, timeout=30)
        queued = [send(1), send(1)]
        Job.objects.filter(pk__in=[j.pk for j in queued]).update(created_at=timezone.now() - timedelta(seconds=10))
        redis_process.terminate()  # Redis goes, and comes back without its data
        redis_process.wait(timeout=10)
        redis_process = start(port=port, data_dir=tmp_path / "redis-2", persist=False)

        def settled():
            jobs_reap_lost_messages()
            return not Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING]).exists()

        wait_for(settled, timeout=30, interval=0.5, message="every job to end")
        for job in running:
            job.refresh_from_db()
            assert job.state == JobState.SUCCEEDED, (job.state, job.error)
        for job in queued:
            job.refresh_from_db()
            assert job.state == JobState.FAILED and "vanished from the 'gpu' queue" in job.error
        again = send(0.2)  # the worker reconnected: new jobs run
        assert wait_for_job_state(again.id, JobState.SUCCEEDED, timeout=30)
    finally:
        worker.stop()
        redis_process.terminate()
        redis_process.wait(timeout=10)


@pytest.mark.workers
def test_a_sigkilled_gpu_child_mid_conversion_fails_it_registers_nothing_and_a_retry_converts(api, alice, tiny_model,
                                                                                            gpu_worker):
    from registry.models import Conversion, ModelVersion

    client = api(alice)
    options = {"target": "onnx", "imgsz": 64, "opset": None, "dynamic": False, "simplify": True}
    started = client.post(f"/api/models/{tiny_model.pk}/convert/", options, format="json").json()
    wait_for_job_state(started["job"], JobState.RUNNING, timeout=60)
    for child in psutil.Process(gpu_worker.process.pid).children():
        child.send_signal(signal.SIGKILL)
    failed = wait_for_job_state(started["job"], [JobState.FAILED, JobState.SUCCEEDED], timeout=10)
    assert failed.state == JobState.FAILED, "the conversion finished before the kill: make it slower"
    assert failed.error.startswith("worker lost: the process running the job died")
    assert Conversion.objects.get(pk=started["id"]).result_id is None
    assert not ModelVersion.objects.filter(parent=tiny_model).exists()  # nothing half-registered

    retry = client.post(f"/api/models/{tiny_model.pk}/convert/", options, format="json")
    assert retry.status_code == 202  # a FAILED conversion is tried again on a replacement child
    done = wait_for_job_state(retry.json()["job"], [JobState.SUCCEEDED, JobState.FAILED], timeout=180)
    assert done.state == JobState.SUCCEEDED, done.error
    assert ModelVersion.objects.get(parent=tiny_model, format="onnx").pk == done.result["model_id"]
    # the killed child's scratch directory was swept by the next conversion
    from registry.conversions.runner import scratch_root

    assert not list(scratch_root().glob(f"convert-job{started['job']}-*"))
