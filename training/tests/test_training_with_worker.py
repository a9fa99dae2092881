"""Training end to end through the API and a real gpu worker (-c 2, one fresh child per job) on tiny data."""
import os
import signal

import pytest

from jobs.models import Job, JobState
from core.storage import artifact_exists, artifact_list, artifact_read_bytes
from training.models import TrainingEpoch, TrainingRun
from tests.waiting import wait_for, wait_for_job_state

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

URL = "/api/training-runs/"


def start(client, dataset, **changes):
    body = {"dataset": dataset.id, "preset": "yolov8n", "epochs": 1, "imgsz": 64, "batch": 16, "seed": 0,
            "patience": 50, "hyperparameters": {"warmup_epochs": 0}}
    body.update(changes)
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def wait_for_first_epoch(run_id, timeout=90):
    def first_epoch():
        if TrainingEpoch.objects.filter(run_id=run_id).exists():
            return True
        job = Job.objects.get(training_run__pk=run_id)
        assert not job.is_terminal, f"job {job.pk} ended {job.state} before a first epoch: {job.error}"
        return False

    return wait_for(first_epoch, timeout=timeout, interval=0.1, message=f"a first epoch row of run {run_id}")


def test_a_run_reports_every_epoch_and_registers_a_model_that_converts_to_onnx(alice, api, gpu_worker, default_worker,
                                                                               demo_dataset, tiny_model):
    client = api(alice)
    run = start(client, demo_dataset, preset=None, model=tiny_model.id, epochs=3,
                hyperparameters={"lr0": 0.02, "warmup_epochs": 0, "mosaic": 0.5})
    seen_while_running = 0

    def finished():
        nonlocal seen_while_running
        job = Job.objects.get(pk=run["job"])
        if job.state == JobState.RUNNING:
            seen_while_running = max(seen_while_running, TrainingEpoch.objects.filter(run_id=run["id"]).count())
        return job.is_terminal

    wait_for(finished, timeout=120, interval=0.05, message="the run to finish")
    detail = client.get(f"{URL}{run['id']}/").json()
    assert detail["job_detail"]["state"] == JobState.SUCCEEDED, detail["job_detail"]
    assert seen_while_running >= 1, "no epoch row appeared while the job was running"
    assert [e["epoch"] for e in detail["epochs"]] == [1, 2, 3]
    assert all(e["box_loss"] is not None and e["map50"] is not None and e["seconds"] > 0 for e in detail["epochs"])
    assert detail["job_detail"]["progress"] == 1.0 and detail["device"] == "cpu"
    transitions = list(Job.objects.get(pk=run["job"]).transitions.values_list("to_state", flat=True))
    assert transitions == ["RUNNING", "SUCCEEDED"]

    from registry.models import ModelVersion

    model = ModelVersion.objects.get(pk=detail["result_model"])
    assert model.format == "pytorch" and model.source == "training" and model.owner == alice
    assert model.name == "tiny-demo" and model.version == 1
    assert model.parent == tiny_model and model.dataset == demo_dataset and model.job_id == run["job"]
    assert model.hyperparameters["lr0"] == 0.02 and model.hyperparameters["epochs"] == 3
    assert set(model.metrics) == {"precision", "recall", "map50", "map50_95"}
    assert model.metrics == detail["final_metrics"]
    assert model.input_size == 64 and model.parameters > 1_000_000 and model.class_names == demo_dataset.class_names
    assert artifact_exists(model.file)

    run_dir = detail["artifacts"]
    assert run_dir == f"training/{run['id']}"
    assert {f"{run_dir}/{name}" for name in ("results.csv", "args.yaml", "weights/best.pt", "weights/last.pt")} \
        <= set(artifact_list(run_dir))
    assert detail["hosts"] == [Job.objects.get(pk=run["job"]).worker] and detail["resumed_from_epoch"] is None
    assert detail["checkpoint_epoch"] == 3
    csv_lines = client.get(f"{URL}{run['id']}/metrics.csv").content.decode().strip().splitlines()
    assert len(csv_lines) == 4
    # The default worker draws the curves into the artifacts once the run has ended; the API then serves that file.
    wait_for(lambda: artifact_exists(f"{run_dir}/curves.png"), timeout=30, interval=0.1, message="curves.png")
    curves = client.get(f"{URL}{run['id']}/curves.png")
    assert curves.status_code == 200 and curves.content == artifact_read_bytes(f"{run_dir}/curves.png")

    conversion = client.post(f"/api/models/{model.id}/convert/", {"target": "onnx", "imgsz": 64}, format="json")
    assert conversion.status_code == 202, conversion.json()
    converted = wait_for_job_state(conversion.json()["job"], JobState.SUCCEEDED, timeout=120)
    onnx_version = ModelVersion.objects.get(pk=converted.result["model_id"])
    assert onnx_version.format == "onnx" and onnx_version.parent == model


def test_three_runs_never_have_more_than_two_running(alice, api, gpu_worker, demo_dataset):
    client = api(alice)
    jobs = [start(client, demo_dataset, seed=i)["job"] for i in range(3)]
    peak = 0

    def all_done():
        nonlocal peak
        states = list(Job.objects.filter(pk__in=jobs).values_list("state", flat=True))
        peak = max(peak, states.count(JobState.RUNNING))
        return all(state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED) for state in states)

    wait_for(all_done, timeout=150, interval=0.05, message="three runs to finish")
    assert list(Job.objects.filter(pk__in=jobs).values_list("state", flat=True)) == [JobState.SUCCEEDED] * 3
    assert peak == 2
    assert TrainingRun.objects.filter(job_id__in=jobs, result_model__isnull=False).count() == 3


def test_cancel_stops_at_the_next_batch_and_keeps_what_was_trained(alice, api, gpu_worker, demo_dataset):
    client = api(alice)
    run = start(client, demo_dataset, epochs=200)
    wait_for_first_epoch(run["id"])
    assert client.post(f"/api/jobs/{run['job']}/cancel/").status_code == 202
    job = wait_for_job_state(run["job"], JobState.CANCELLED, timeout=30)
    assert job.result["epochs_completed"] >= 1 and job.result["epochs_completed"] < 200
    assert job.result["partial_weights"] == f"training/{run['id']}/weights/last.pt"
    assert artifact_exists(job.result["partial_weights"])
    assert TrainingRun.objects.get(pk=run["id"]).result_model is None


def test_a_run_past_its_time_limit_fails_with_timeout_and_frees_its_slot(alice, api, gpu_worker, demo_dataset):
    client = api(alice)
    run = start(client, demo_dataset, epochs=500, time_limit_seconds=6)
    job = wait_for_job_state(run["job"], JobState.FAILED, timeout=60)
    assert job.error.startswith("timeout") and "6 s" in job.error
    follow_up = start(client, demo_dataset, epochs=1)
    wait_for_job_state(follow_up["job"], JobState.SUCCEEDED, timeout=90)


def test_a_killed_worker_child_leaves_the_run_failed_with_worker_lost(alice, api, settings, gpu_worker,
                                                                     default_worker, demo_dataset):
    client = api(alice)
    run = start(client, demo_dataset, epochs=200)
    wait_for_first_epoch(run["id"])
    pid = TrainingRun.objects.get(pk=run["id"]).worker_pid
    import psutil

    assert pid in [child.pid for child in psutil.Process(gpu_worker.process.pid).children()]
    os.kill(pid, signal.SIGKILL)
    bound = settings.JOB_STALE_AFTER_SECONDS + settings.REAPER_INTERVAL_SECONDS + 5
    job = wait_for_job_state(run["job"], JobState.FAILED, timeout=bound)
    assert "worker lost" in job.error
    assert gpu_worker.alive
