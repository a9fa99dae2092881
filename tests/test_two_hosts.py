"""Two hosts on one machine, sharing only Redis, the database and a real S3 server (SeaweedFS).

Host A runs the web, the default worker and beat; host B the gpu worker and the inference pool; each has its own
var, scratch, artifact and cache folders (tests/two_hosts.py). The README's walk (upload, train, convert, predict,
benchmark, search, report) passes across them. Then host B's gpu worker is SIGKILLed mid-training and host C (a gpu
worker with an empty cache) takes the run over: it resumes from the last stored epoch and finishes, and a corrupted
file in C's cache is detected and fetched again. The negative control: the same hosts on filesystem storage fail.

Run alone with `pytest -m two_hosts`.
"""
import hashlib
import subprocess
from pathlib import Path

import pytest
import requests

from jobs.models import Job, JobState
from tests.environment import ROOT
from tests.test_readme_walk import NEW_APPS, plan, readme_walk
from tests.two_hosts import Platform, wait_until

pytestmark = [pytest.mark.two_hosts, pytest.mark.workers, pytest.mark.django_db(transaction=True)]

PASSWORD = "two-hosts-password-42"


def engineer(var_dir) -> None:
    """The walk logs in as `engineer` with the password in $VAR/demo_password, as after `make run`."""
    from accounts.services import user_create

    user_create(username="engineer", password=PASSWORD, role="engineer")
    (var_dir / "demo_password").write_text(PASSWORD)


def token(base: str) -> dict:
    answer = requests.post(f"{base}/api/auth/token/", json={"username": "engineer", "password": PASSWORD}, timeout=30)
    return {"Authorization": f"Bearer {answer.json()['access']}"}


def job_end(job_id: int, timeout: float) -> Job:
    return wait_until(lambda: (job := Job.objects.get(pk=job_id)).is_terminal and job, timeout=timeout,
                      what=f"job {job_id} to end")


@pytest.fixture(autouse=True)
def _no_session_workers(_workers):
    """The session's own workers share this test's database (not its Redis): their beat would reap host B's stale
    job and send it to the session's Redis, where the session's gpu worker ran it instead of host C (seen in CI).
    So the hosts run alone; later tests start the session's workers again when they need them."""
    _workers.stop_all()
    yield


@pytest.fixture
def platform(request, tmp_path):
    platforms = []

    def make(storage_env):
        platforms.append(Platform(tmp_path, storage_env))
        return platforms[-1]

    yield make
    for made in platforms:
        made.stop()


def test_the_walk_passes_across_two_hosts_and_a_training_survives_its_host(platform, s3_server):
    hosts = platform(s3_server.env(bucket=s3_server.bucket()))
    a, b = hosts.host("host-a"), hosts.host("host-b")
    engineer(Path(a.env["PLATFORM_VAR_DIR"]))
    base = a.web()
    a.default_worker_and_beat()
    b.gpu_worker()
    b.inference_pool()

    preamble, steps = readme_walk()
    script, skipped = plan(preamble, steps, set(NEW_APPS))
    walk = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**a.env, "PORT": base.rsplit(":", 1)[1], "HOME": str(Path.home())})
    output = walk.stdout + walk.stderr
    assert walk.returncode == 0 and "WALK DONE" in walk.stdout and not skipped, output[-6000:]
    assert output.count("SUCCEEDED") >= 2 and "done: model" in output, output[-3000:]  # as test_readme_walk (vp)

    stored = {item["Key"] for item in s3_server.client().list_objects_v2(Bucket=hosts.storage_env[
        "ARTIFACT_S3_BUCKET"])["Contents"]}
    assert any(key.startswith("datasets/") and key.endswith(".zip") for key in stored)
    assert any(key.startswith("models/") and key.endswith(".onnx") for key in stored)
    assert not (a.root / "artifacts").exists() and not (b.root / "artifacts").exists()  # nothing on either disk
    assert b.cached_files() and not a.cached_files()  # B used the artifacts from its cache; A never needed one

    from registry.models import ModelVersion
    from training.models import TrainingRun

    walked = ModelVersion.objects.get(name="walk-detector", format="pytorch")
    headers = token(base)
    run = requests.post(f"{base}/api/training-runs/", headers=headers, timeout=30, json={
        "dataset": walked.dataset_id, "preset": "yolov8n", "epochs": 6, "imgsz": 64, "name": "survivor",
        "hyperparameters": {"warmup_epochs": 0}}).json()
    wait_until(lambda: TrainingRun.objects.get(pk=run["id"]).checkpoint_epoch >= 2, timeout=240, interval=0.05,
               what="a checkpoint of epoch 2 in the store")
    b.kill("gpu")  # the host is gone: no process is left to say so; host A's reaper sees the heartbeat stop
    b.kill("pool")
    checkpointed = TrainingRun.objects.get(pk=run["id"]).checkpoint_epoch

    def host_b_gone():
        shown = requests.get(f"{base}/api/hosts/host-b/", headers=headers, timeout=30).json()
        return shown if shown["state"] == "gone" else None

    host_b = wait_until(host_b_gone, timeout=30, interval=0.5, what="host B shown as gone in GET /api/hosts/")
    assert host_b["processes"] == [] and set(host_b["roles"]) == {"gpu", "inference"} and host_b["last_seen"]

    c = hosts.host("host-c")
    corrupt = c.cache / "files" / walked.sha256[:2] / f"{walked.sha256}.pt"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(b"not the model")  # a bad copy already on C's disk: must be detected, never used
    c.gpu_worker()
    job = job_end(run["job"], timeout=300)
    assert job.state == JobState.SUCCEEDED, job.error
    detail = requests.get(f"{base}/api/training-runs/{run['id']}/", headers=headers, timeout=30).json()
    assert detail["hosts"] == ["host-b-gpu@host-b", "host-c-gpu@host-c"] and job.attempts == 2
    assert detail["resumed_from_epoch"] >= checkpointed >= 2
    assert [epoch["epoch"] for epoch in detail["epochs"]] == [1, 2, 3, 4, 5, 6]

    converted = requests.post(f"{base}/api/models/{walked.pk}/convert/", headers=headers, timeout=30,
                              json={"target": "onnx", "imgsz": 96}).json()
    job = job_end(converted["job"], timeout=240)
    assert job.state == JobState.SUCCEEDED and job.worker == "host-c-gpu@host-c", job.error
    assert hashlib.sha256(corrupt.read_bytes()).hexdigest() == walked.sha256
    assert "does not match its SHA-256: fetching it again" in c.processes["gpu"].log_tail(200_000)


def test_the_same_two_hosts_on_filesystem_storage_fail_the_negative_control(platform):
    from registry.datasets.demo_data import demo_dataset_zip

    hosts = platform({"ARTIFACT_STORAGE": "filesystem"})
    a, b = hosts.host("host-a"), hosts.host("host-b")
    engineer(Path(a.env["PLATFORM_VAR_DIR"]))
    base = a.web()
    b.gpu_worker()
    headers = token(base)
    dataset = requests.post(f"{base}/api/datasets/", headers=headers, timeout=60, data={"name": "shapes"},
                            files={"file": ("s.zip", demo_dataset_zip(images=32, imgsz=64, seed=1))}).json()
    run = requests.post(f"{base}/api/training-runs/", headers=headers, timeout=30, json={
        "dataset": dataset["id"], "preset": "yolov8n", "epochs": 1, "imgsz": 64}).json()
    job = job_end(run["job"], timeout=120)
    assert job.state == JobState.FAILED and f"dataset {dataset['id']} has no archive in storage" in job.error
