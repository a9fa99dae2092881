"""A training, a conversion and a benchmark aimed at a host or a hardware class (hosts/routing.py), without workers:
the job goes to the queue of the live host that matches and records the target and the host; a target no live host
matches, or of the wrong shape, is a 400 naming the field and nothing is started. The reaper routes a job whose host
died again when its target was a class, and fails it with the reason when it was a host by name or no live host
matches any more. (The real-worker run of a routed job: hosts/tests/test_routing.py.)"""
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from hosts.reaping import jobs_reroute_on_gone_hosts
from jobs.models import Job, JobKind, JobState
from registry.models import Conversion
from tests.support.hosts import H100, gpu_hosts_live
from tests.support.rows import dataset_row, host_row, job_row, model_row

pytestmark = pytest.mark.django_db

KINDS = ("training", "conversion", "benchmark")


def _start(kind: str, client, owner, target):
    """POST the smallest valid request of `kind` with `target`; (response, the request field that holds it)."""
    if kind == "training":
        body = {"dataset": dataset_row(owner=owner).pk, "preset": "yolov8n", "epochs": 1, "imgsz": 64, "batch": 8}
        return client.post("/api/training-runs/", {**body, "target": target}, format="json"), "target"
    model = model_row(owner=owner)
    if kind == "conversion":
        return client.post(f"/api/models/{model.pk}/convert/", {"target": "onnx", "imgsz": 64, "run_on": target},
                           format="json"), "run_on"
    body = {"model": model.pk, "engines": ["pytorch-cpu"], "imgsz": 64, "warmup": 1, "iterations": 3}
    return client.post("/api/benchmarks/", {**body, "target": target}, format="json"), "target"


def _names(*prefixes: str) -> list[str]:
    suffix = uuid.uuid4().hex[:6]  # host keys live in Redis, which outlives a test's database
    return [f"{prefix}-{suffix}" for prefix in prefixes]


@pytest.mark.parametrize("kind", KINDS)
def test_a_job_aimed_at_a_host_goes_to_its_queue_and_records_it(kind, alice, api):
    a, b = _names("a", "b")
    with gpu_hosts_live(a, b):
        response, field = _start(kind, api(alice), alice, {"host": b})
    assert response.status_code in (201, 202), response.json()
    job = Job.objects.get(pk=response.json()["job"])
    assert job.queue == f"gpu.host.{b}" and job.state == JobState.QUEUED
    assert job.params[field] == {"host": b} and job.params["routed_to"] == b
    body = response.json()  # a training or conversion answers its routed_to, a benchmark its params
    assert body.get("routed_to", body.get("params", {}).get("routed_to")) == b


@pytest.mark.parametrize("kind", KINDS)
def test_a_class_target_picks_a_live_host_that_has_it(kind, alice, api):
    plain, h100 = _names("plain", "h100")
    with gpu_hosts_live(plain, cpu_features=["AVX2"]), gpu_hosts_live(h100, gpus=H100):
        by_gpu, _ = _start(kind, api(alice), alice, {"gpu": "h100"})
        by_cpu, _ = _start(kind, api(alice), alice, {"cpu": "avx2"})
    assert Job.objects.get(pk=by_gpu.json()["job"]).queue == f"gpu.host.{h100}"
    assert Job.objects.get(pk=by_cpu.json()["job"]).queue == f"gpu.host.{plain}"


@pytest.mark.parametrize("kind", KINDS)
def test_a_target_no_live_host_matches_is_a_400_that_says_why(kind, alice, api):
    live, dead = _names("live", "dead")
    host_row(name=dead)  # registered once, no heartbeat now
    with gpu_hosts_live(live):
        for target, words in (({"gpu": "NVIDIA H100"}, "no live host matches a GPU named like 'NVIDIA H100'"),
                              ({"cpu": "3DNOW"}, "the CPU feature '3DNOW'"),
                              ({"host": "nowhere"}, "no such host has registered"),
                              ({"host": dead}, "it is gone")):
            response, field = _start(kind, api(alice), alice, target)
            assert response.status_code == 400 and words in str(response.json()["errors"][field]), response.json()
    assert not Job.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_target_of_the_wrong_shape_is_a_400_naming_the_field(kind, alice, api):
    for target in ({"host": "x", "gpu": "y"}, {"rack": "3"}, {}, "gpu-2"):
        response, field = _start(kind, api(alice), alice, target)
        assert response.status_code == 400 and field in response.json()["errors"], (target, response.json())
    assert not Job.objects.exists()


def test_only_a_conversion_with_the_same_run_on_is_the_same_conversion(alice, api):
    (name,) = _names("conv")
    model = model_row(owner=alice)
    url = f"/api/models/{model.pk}/convert/"
    with gpu_hosts_live(name, gpus=H100):
        anywhere = api(alice).post(url, {"target": "onnx", "imgsz": 64}, format="json")
        there = api(alice).post(url, {"target": "onnx", "imgsz": 64, "run_on": {"gpu": "H100"}}, format="json")
        again = api(alice).post(url, {"target": "onnx", "imgsz": 64, "run_on": {"gpu": "H100"}}, format="json")
    assert (anywhere.status_code, there.status_code, again.status_code) == (202, 202, 200)
    assert again.json()["id"] == there.json()["id"] != anywhere.json()["id"]
    assert there.json()["run_on"] == {"gpu": "H100"} and anywhere.json()["run_on"] is None
    assert Conversion.objects.count() == 2


def _queued_on(host: str, *, owner, params: dict, kind=JobKind.TRAINING, attempts=0) -> Job:
    """A job waiting in `host`'s queue since before the host's TTL (a message no worker will take)."""
    job = job_row(owner=owner, kind=kind, state=JobState.QUEUED, queue=f"gpu.host.{host}", params=params,
                  task_name="training.train", celery_task_id=str(uuid.uuid4()), attempts=attempts)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    return job


def test_a_job_aimed_at_a_class_whose_host_died_is_routed_to_another_live_host(alice, django_capture_on_commit_callbacks):
    dead, other = _names("dead", "other")
    job = _queued_on(dead, owner=alice, params={"epochs": 1, "target": {"gpu": "H100"}, "routed_to": dead},
                     attempts=1)  # sent again after its host was lost mid-run (jobs/rerun.py)
    old_task = job.celery_task_id
    with gpu_hosts_live(other, gpus=H100), django_capture_on_commit_callbacks() as sent:
        assert jobs_reroute_on_gone_hosts() == {"rerouted": [job.pk], "failed": []}
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.queue == f"gpu.host.{other}" and job.celery_task_id != old_task
    assert job.params == {"epochs": 1, "target": {"gpu": "H100"}, "routed_to": other} and len(sent) == 1
    assert f"routed again to {other!r}: its host {dead!r} is gone" in job.transitions.last().message


def test_a_job_aimed_at_a_host_by_name_fails_when_that_host_died(alice):
    (dead,) = _names("dead")
    job = _queued_on(dead, owner=alice, params={"target": {"host": dead}, "routed_to": dead})
    with gpu_hosts_live(*_names("other"), gpus=H100):
        assert jobs_reroute_on_gone_hosts() == {"rerouted": [], "failed": [job.pk]}
    job.refresh_from_db()
    assert job.state == JobState.FAILED and f"its target host {dead!r} is gone" in job.error
    assert "nothing ran. Start it again with another target" in job.error


def test_a_conversion_aimed_at_a_class_no_live_host_has_any_more_fails_saying_so(alice):
    (dead,) = _names("dead")
    job = _queued_on(dead, owner=alice, kind=JobKind.CONVERSION, attempts=1,
                     params={"target": "tensorrt", "run_on": {"gpu": "H100"}, "routed_to": dead})
    assert jobs_reroute_on_gone_hosts() == {"rerouted": [], "failed": [job.pk]}
    job.refresh_from_db()
    assert "no other live host has a GPU named like 'H100'; it did not finish" in job.error
