"""Training through the platform against ultralytics called directly, and dispatch latency to RUNNING.

1. Overhead: the same run (BENCH_TRAIN_IMAGES synthetic images at BENCH_TRAIN_IMGSZ, BENCH_TRAIN_EPOCHS epochs,
   batch 16, CPU or the machine's GPU) as `POST /api/training-runs/` -> SUCCEEDED through a real gpu worker
   (`-c 2 --max-tasks-per-child 1`), and as `YOLO(...).train(...)` in-process; repeated and interleaved, the
   ratio of the medians (target <= 1.10) against a warm in-process baseline (its second and later calls), and
   against the first call in a process (what a one-off training script pays). The platform time runs from the API call to the job's finished_at, so it
   includes the queue, the fresh worker child, per-epoch DB rows and progress, and registering the model version.
2. Dispatch: API call -> the job's started_at (the worker's claim) on an idle queue, p50/p95 over
   BENCH_DISPATCH_RUNS one-epoch runs, 1 s apart (core/worker_pool.py explains why back-to-back jobs no longer
   wait for the previous job's child to exit).

The measurement runs in a child process with its own embedded Redis, SQLite database and ARTIFACT_ROOT
(tests/environment.py), so `make bench` neither needs nor touches the platform's own services and data.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = "BENCH_TRAINING_RESULT "


def main() -> dict:
    from tests.perf.harness import print_table

    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run([sys.executable, "-m", "tests.perf.bench_training", "--inner"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=1800)
    lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"the training benchmark failed: {(completed.stderr or completed.stdout)[-3000:]}")
    results = json.loads(lines[-1][len(MARKER):])
    overhead, dispatch = results["overhead"], results["dispatch_ms"]
    print_table(
        f"Training run, {overhead['images']} images at imgsz {overhead['imgsz']}, {overhead['epochs']} epochs, "
        f"batch {overhead['batch']}, {overhead['device']} ({overhead['repeats']} interleaved repeats)",
        ["path", "median s", "min s", "runs s"],
        [["ultralytics in-process, first call", overhead["direct_cold_s"], overhead["direct_cold_s"], ""],
         ["ultralytics in-process, warm", overhead["direct_median_s"], overhead["direct_min_s"],
          " ".join(f"{v:.1f}" for v in overhead["direct_s"])],
         ["platform API -> SUCCEEDED", overhead["platform_median_s"], overhead["platform_min_s"],
          " ".join(f"{v:.1f}" for v in overhead["platform_s"])],
         ["ratio to warm (target <= 1.10)", overhead["ratio_median"], overhead["ratio_min"], ""],
         ["ratio to first call", overhead["ratio_vs_cold"], "", ""]])
    print_table("Dispatch latency, API call -> RUNNING, idle gpu queue", ["runs", "p50 ms", "p95 ms", "max ms"],
                [[dispatch["n"], dispatch["p50"], dispatch["p95"], dispatch["max"]]])
    return results


# --- the measurement, in its own process ---------------------------------------------------------------


def _platform():
    """Embedded Redis, a fresh SQLite database, ARTIFACT_ROOT in a temporary folder; production job timings."""
    os.environ.setdefault("JOB_HEARTBEAT_SECONDS", "10")
    os.environ.setdefault("JOB_STALE_AFTER_SECONDS", "60")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from tests import environment

    os.environ["DATABASE_URL"] = environment.WORKER_DATABASE_URL
    os.environ.pop("PLATFORM_TEST_DB_NAME", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import atexit
    import shutil

    atexit.register(shutil.rmtree, environment.RUN_DIR, ignore_errors=True)
    return environment.RUN_DIR


def _dataset(run_dir: Path, owner, images: int, imgsz: int):
    import hashlib
    import uuid

    from registry.datasets.archive import dataset_archive_store
    from registry.datasets.demo_data import CLASS_NAMES, write_demo_dataset
    from registry.models import Dataset

    key = uuid.uuid4().hex
    tree = write_demo_dataset(run_dir / f"bench-{key}", images=images, imgsz=imgsz, seed=0)
    archive, archive_sha256, size = dataset_archive_store(root=Path(tree))
    return Dataset.objects.create(name="bench", version=1, owner=owner, sha256=hashlib.sha256(key.encode()).hexdigest(),
                                  archive=archive, archive_sha256=archive_sha256, size_bytes=size,
                                  class_names=CLASS_NAMES, num_images=images)


def _wait_terminal(job_id: int, timeout: float = 900.0):
    from jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.is_terminal:
            return job
        time.sleep(0.02)
    raise RuntimeError(f"job {job_id} did not finish in {timeout} s")


def _owner_and_dataset(run_dir: Path, images: int, imgsz: int):
    """The bench user with an authenticated API client, a generated dataset, its data.yaml and the device to train
    on in-process; the set-up the training and search benches share."""
    import torch
    from rest_framework.test import APIClient

    from accounts.services import user_create
    from registry.datasets.archive import dataset_local
    from training import devices

    devices.prepare_ultralytics_environment()
    owner = user_create(username="bench", password="bench-password-not-secret-1", role="engineer")
    client = APIClient()
    client.force_authenticate(owner)
    dataset = _dataset(run_dir, owner, images, imgsz)
    return client, dataset, dataset_local(dataset).held() / "data.yaml", "0" if torch.cuda.is_available() else "cpu"


def _platform_run(client, dataset, settings: dict):
    from django.utils import timezone

    started = timezone.now()
    response = client.post("/api/training-runs/", {"dataset": dataset.pk, "preset": "yolov8n", "patience": 50,
                                                   **settings}, format="json")
    if response.status_code != 201:
        raise RuntimeError(f"start failed: {response.status_code} {response.content[:500]!r}")
    job = _wait_terminal(response.json()["job"])
    if job.state != "SUCCEEDED":
        raise RuntimeError(f"the platform run ended {job.state}: {job.error}")
    return started, job


def _direct_run(data_yaml: Path, scratch: Path, settings: dict, device: str) -> float:
    from ultralytics import YOLO

    started = time.perf_counter()
    model = YOLO("yolov8n.yaml")
    model.train(data=str(data_yaml), device=device, workers=0, amp=device != "cpu", plots=False, verbose=False,
                project=str(scratch), name="direct", exist_ok=True, val=True, patience=50, **settings)
    return time.perf_counter() - started


def _inner() -> dict:
    import statistics

    run_dir = _platform()
    from tests.perf.harness import percentiles
    from tests.workers import WorkerProcess, gpu_worker_args

    images = int(os.environ.get("BENCH_TRAIN_IMAGES", "64"))
    imgsz = int(os.environ.get("BENCH_TRAIN_IMGSZ", "128"))
    epochs = int(os.environ.get("BENCH_TRAIN_EPOCHS", "3"))
    repeats = int(os.environ.get("BENCH_TRAIN_REPEATS", "4"))
    dispatch_runs = int(os.environ.get("BENCH_DISPATCH_RUNS", "10"))
    settings = {"epochs": epochs, "imgsz": imgsz, "batch": 16, "seed": 0}

    client, dataset, data_yaml, device = _owner_and_dataset(run_dir, images, imgsz)
    worker = WorkerProcess("gpu", gpu_worker_args()).start()
    try:
        # The first call in a process pays ultralytics' lazy imports and first-call warm-ups: reported apart, and
        # it warms this process so the interleaved direct runs below are the strict (fastest) baseline.
        direct_cold = _direct_run(data_yaml, run_dir / "direct-cold", settings, device)
        direct, platform = [], []
        for repeat in range(repeats):  # interleaved, so load from other processes hits both alike
            direct.append(_direct_run(data_yaml, run_dir / f"direct-{repeat}", settings, device))
            started, job = _platform_run(client, dataset, settings)
            platform.append((job.finished_at - started).total_seconds())
            time.sleep(1.0)  # let the pool fork the replacement child: the next run meets an idle queue
        dispatch = []
        for _ in range(dispatch_runs):
            started, job = _platform_run(client, dataset, {"epochs": 1, "imgsz": 64, "batch": 16, "seed": 0})
            dispatch.append((job.started_at - started).total_seconds() * 1000.0)
            time.sleep(1.0)  # an idle queue: the previous job's child has exited and been replaced
    finally:
        worker.stop()
    overhead = {"images": images, "imgsz": imgsz, "epochs": epochs, "batch": 16, "repeats": repeats,
                "device": "cpu" if device == "cpu" else f"cuda:{device}",
                "direct_cold_s": direct_cold, "direct_s": direct, "platform_s": platform,
                "direct_median_s": statistics.median(direct), "platform_median_s": statistics.median(platform),
                "direct_min_s": min(direct), "platform_min_s": min(platform)}
    overhead["ratio_median"] = overhead["platform_median_s"] / overhead["direct_median_s"]
    overhead["ratio_min"] = overhead["platform_min_s"] / overhead["direct_min_s"]
    overhead["ratio_vs_cold"] = overhead["platform_median_s"] / direct_cold
    overhead["target_met"] = overhead["ratio_median"] <= 1.10
    return {"overhead": overhead, "dispatch_ms": {**percentiles(dispatch), "samples": dispatch},
            "cpu_count": os.cpu_count()}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if "--inner" in sys.argv:
        result = _inner()
        print(MARKER + json.dumps(result, default=str), flush=True)
    else:
        print(json.dumps(main(), indent=2, default=str))
