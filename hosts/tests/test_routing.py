"""Routing a benchmark: two real gpu worker processes on this machine, started as two hosts (HOST_NAME route-a and
route-b). A benchmark aimed at one runs there and records it; a class target picks a live host that has it; a
target no live host matches is a 400 that says so; a job left on a host that died is failed by the reaper (routed
again when its target is a class: tests/test_job_targets.py, with trainings and conversions)."""
import uuid

import pytest

from jobs.models import JobState
from tests.waiting import wait_for, wait_for_job_end
from tests.workers import WorkerProcess, gpu_worker_args

pytestmark = [pytest.mark.workers]

URL = "/api/benchmarks/"
BODY = {"engines": ["pytorch-cpu"], "imgsz": 64, "warmup": 1, "iterations": 3, "exclusive": False}


def _host_worker(name: str, **env) -> WorkerProcess:
    args = [a if a != "2" else "1" for a in gpu_worker_args()]  # one slot each: two workers on two shared cores
    worker = WorkerProcess(name, args, env={"HOST_NAME": name, "HOST_DB_UPDATE_SECONDS": "1", **env})
    worker.host = name
    return worker


def test_a_benchmark_aimed_at_a_host_or_a_class_runs_there_and_records_it(alice, api, tiny_model, transactional_db,
                                                                         _database_sessions_closed):
    from core.hardware import cpu_features
    from hosts.facts import this_host
    from hosts.models import Host

    suffix = uuid.uuid4().hex[:4]
    # b says it is another hardware class, so its applied selection must land on that class only
    a, b = _host_worker(f"route-a-{suffix}"), _host_worker(f"route-b-{suffix}", HARDWARE_CLASS="cpu:avx2")
    client = api(alice)
    try:
        a.start(), b.start()
        names = {a.host, b.host}
        wait_for(lambda: set(Host.objects.filter(name__in=names).values_list("name", flat=True)) == names,
                 timeout=30, message="both hosts to register")

        response = client.post(URL, {"model": tiny_model.pk, **BODY, "target": {"host": b.host}, "apply": True},
                               format="json")
        assert response.status_code == 202, response.json()
        run = response.json()
        assert run["params"]["target"] == {"host": b.host} and run["params"]["routed_to"] == b.host
        job = wait_for_job_end(run["job"], timeout=120)
        assert job.state == JobState.SUCCEEDED, job.error
        assert job.queue == f"gpu.host.{b.host}" and job.worker == b.hostname
        detail = client.get(f"{URL}{run['id']}/").json()
        assert detail["host"] == b.host and detail["hardware_class"] == "cpu:avx2" and detail["applied"]
        from benchmarks.models import BenchmarkRun
        from reports.collectors.benchmark import collect

        measured_on = collect(obj=BenchmarkRun.objects.get(pk=run["id"]), user=alice)["measured_on"]
        assert (measured_on["host_name"], measured_on["hardware_class"]) == (b.host, "cpu:avx2")  # the report data
        serving = client.get(f"/api/models/{tiny_model.pk}/").json()["serving_by_class"]
        assert [(c["hardware_class"], c["engine"], c["benchmark"]) for c in serving] == [
            ("cpu:avx2", "pytorch-cpu", run["id"])]  # the class it ran on, not every class

        if cpu_features():  # this machine's best feature names a class both hosts belong to
            feature = cpu_features()[-1]
            by_class = client.post(URL, {"model": tiny_model.pk, **BODY, "target": {"cpu": feature}}, format="json")
            assert by_class.status_code == 202, by_class.json()
            job = wait_for_job_end(by_class.json()["job"], timeout=120)
            assert job.state == JobState.SUCCEEDED, job.error
            placed = client.get(f"{URL}{by_class.json()['id']}/").json()
            assert placed["host"] in names
            expected = "cpu:avx2" if placed["host"] == b.host else this_host()["hardware_class"]
            assert placed["hardware_class"] == expected

        for target, words in (({"gpu": "NVIDIA H100"}, "a GPU named like 'NVIDIA H100'"),
                              ({"cpu": "3DNOW"}, "the CPU feature '3DNOW'"),
                              ({"host": "nowhere"}, "no such host has registered")):
            refused = client.post(URL, {"model": tiny_model.pk, **BODY, "target": target}, format="json")
            assert refused.status_code == 400 and words in str(refused.json()), (target, refused.json())
        for target in ({"host": "x", "gpu": "y"}, {"rack": "3"}, {}):
            refused = client.post(URL, {"model": tiny_model.pk, **BODY, "target": target}, format="json")
            assert refused.status_code == 400 and "target" in refused.json()["errors"], (target, refused.json())

        a.kill()  # its host is gone: no longer a target; a job still queued for it is failed by the reaper
        wait_for(lambda: client.get(f"/api/hosts/{a.host}/").json()["state"] == "gone", timeout=15,
                 message="host a to be gone")
        gone = client.post(URL, {"model": tiny_model.pk, **BODY, "target": {"host": a.host}}, format="json")
        assert gone.status_code == 400 and "it is gone" in str(gone.json())
    finally:
        a.stop(), b.stop()


def test_a_job_queued_for_a_host_that_is_gone_is_failed_with_the_reason(alice, db):
    from datetime import timedelta

    from django.utils import timezone

    from hosts.reaping import jobs_reroute_on_gone_hosts
    from jobs.models import Job

    job = Job.objects.create(kind="benchmark", owner=alice, queue="gpu.host.vanished", state=JobState.QUEUED)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert jobs_reroute_on_gone_hosts() == {"rerouted": [], "failed": [job.pk]}
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "'vanished' is gone" in job.error
