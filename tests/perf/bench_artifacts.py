"""Artifacts in S3 and the per-host cache; trainings that survive their host; two hosts against one.

1. Cache: the demo dataset (256 images at 128 px, as one archive) and a yolov8n checkpoint in a local S3 server
   (SeaweedFS, tests/s3_server.py): a cold fetch through a host's artifact cache (download, SHA-256 check, and for
   the dataset the unpacking) and a warm one (already cached), against a raw boto3 `download_file` of the same
   objects in the same run. Interleaved repeats, medians. Goal: cold-fetch throughput >= 0.9x raw boto3.
2. Resume: a training of BENCH_RESUME_EPOCHS epochs on host B, whose gpu worker is SIGKILLed once the checkpoint
   of epoch BENCH_RESUME_KILL_AT is stored; host C's gpu worker starts at once and resumes it. The time lost is the
   run's wall time minus an uninterrupted run's. Goal: <= one epoch + the restart (detection by the reaper, here
   JOB_STALE_AFTER_SECONDS=4, and C's start).
3. Two hosts against one: the same training (BENCH_ARTIFACT_TRAIN_EPOCHS epochs) through the API, on one host with
   filesystem storage, and with the gpu worker on host B and S3 storage, interleaved. Goal: <= 1.05x.

Runs in a child process with its own Redis, SQLite database, S3 server and host folders (tests/two_hosts.py).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = "BENCH_ARTIFACTS_RESULT "


def main() -> dict:
    from tests.perf.harness import print_table

    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run([sys.executable, "-m", "tests.perf.bench_artifacts", "--inner"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=3000)
    lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"the artifacts benchmark failed: {(completed.stderr or completed.stdout)[-3000:]}")
    r = json.loads(lines[-1][len(MARKER):])
    c = r["cache"]
    print_table(f"Artifact cache vs raw boto3, local S3 (SeaweedFS), {c['repeats']} interleaved repeats, medians",
                ["object", "MB", "raw boto3 s", "cold cache s", "throughput vs raw (goal >= 0.9)", "warm s"],
                [["yolov8n checkpoint", c["checkpoint_mb"], c["raw_checkpoint_s"], c["cold_checkpoint_s"],
                  c["ratio_checkpoint"], c["warm_checkpoint_s"]],
                 ["demo dataset archive (fetch + verify)", c["dataset_mb"], c["raw_dataset_s"],
                  c["cold_dataset_file_s"], c["ratio_dataset"], c["warm_dataset_s"]],
                 ["demo dataset, fetch + verify + unpack", c["dataset_mb"], "", c["cold_dataset_tree_s"], "", ""]])
    s = r["resume"]
    print_table(f"Resume: {s['epochs']} epochs, host B killed after the checkpoint of epoch {s['killed_after_epoch']}",
                ["uninterrupted s", "killed + resumed s", "lost s", "epoch s", "restart s (detect + dispatch + "
                 "resume start-up)", "goal: epoch + restart", "resumed from"],
                [[s["full_s"], s["killed_s"], s["lost_s"], s["epoch_s"],
                  f"{s['restart_s']:.1f} ({s['detection_s']:.1f} + {s['dispatch_s']:.1f} + {s['resume_startup_s']:.1f})",
                  s["goal_s"], s["resumed_from_epoch"]]])
    t = r["two_hosts"]
    print_table(f"Training, {t['epochs']} epochs: one host (filesystem) vs two hosts (S3), {t['repeats']} interleaved",
                ["one host s", "two hosts s", "checkpoint uploads (their thread) s", "ratio of medians (goal <= 1.05)"],
                [[" ".join(f"{v:.1f}" for v in t["one_host_s"]), " ".join(f"{v:.1f}" for v in t["two_hosts_s"]),
                  " ".join(f"{v:.2f}" for v in t["checkpoint_upload_s"]), t["ratio"]]])
    return r


# --- the measurement, in its own process ---------------------------------------------------------------


def _median(values):
    return round(statistics.median(values), 3)


def _cache(s3, bucket: str, work: Path, repeats: int) -> dict:
    from core.artifact_cache import ArtifactCache
    from core.storage import artifact_fetch, artifact_store_file
    from registry.datasets.archive import dataset_archive_store, dataset_archive_unpack
    from registry.datasets.demo_data import write_demo_dataset

    tree = write_demo_dataset(work / "demo", images=256, imgsz=128, seed=0)
    dataset, dataset_sha, dataset_size = dataset_archive_store(root=Path(tree))
    from ultralytics import YOLO

    YOLO("yolov8n.yaml").save(str(work / "yolov8n.pt"))
    checkpoint, checkpoint_sha, checkpoint_size = artifact_store_file(path=work / "yolov8n.pt", kind="models",
                                                                      suffix=".pt")
    client = s3.client()
    times: dict[str, list[float]] = {key: [] for key in ("raw_checkpoint", "raw_dataset", "cold_checkpoint",
                                                          "cold_dataset_file", "cold_dataset_tree", "warm_checkpoint",
                                                          "warm_dataset")}

    def timed(key, call):
        started = time.perf_counter()
        call()
        times[key].append(time.perf_counter() - started)

    for repeat in range(repeats):
        raw = work / f"raw-{repeat}"
        raw.mkdir()
        timed("raw_checkpoint", lambda: client.download_file(bucket, checkpoint, str(raw / "c.pt")))
        timed("raw_dataset", lambda: client.download_file(bucket, dataset, str(raw / "d.zip")))
        cache = ArtifactCache(work / f"cache-{repeat}", 10 ** 11, artifact_fetch)
        timed("cold_checkpoint", lambda: cache.file(name=checkpoint, sha256=checkpoint_sha, suffix=".pt").release())
        timed("cold_dataset_file", lambda: cache.file(name=dataset, sha256=dataset_sha, suffix=".zip").release())
        timed("cold_dataset_tree", lambda: cache.tree(name=dataset, sha256=dataset_sha,
                                                      unpack=dataset_archive_unpack).release())
        timed("warm_checkpoint", lambda: cache.file(name=checkpoint, sha256=checkpoint_sha, suffix=".pt").release())
        timed("warm_dataset", lambda: cache.tree(name=dataset, sha256=dataset_sha,
                                                 unpack=dataset_archive_unpack).release())
    medians = {f"{key}_s": _median(values) for key, values in times.items()}
    return {**medians, "repeats": repeats, "checkpoint_mb": round(checkpoint_size / 2 ** 20, 2),
            "dataset_mb": round(dataset_size / 2 ** 20, 2),
            "ratio_checkpoint": round(medians["raw_checkpoint_s"] / medians["cold_checkpoint_s"], 3),
            "ratio_dataset": round(medians["raw_dataset_s"] / medians["cold_dataset_file_s"], 3), "runs": times}


class Api:
    def __init__(self, base: str, password: str):
        import requests

        self.requests, self.base = requests, base
        token = requests.post(f"{base}/api/auth/token/", json={"username": "bench", "password": password},
                              timeout=30).json()["access"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def dataset(self, content: bytes) -> int:
        return self.requests.post(f"{self.base}/api/datasets/", headers=self.headers, data={"name": "bench"},
                                  files={"file": ("d.zip", content)}, timeout=120).json()["id"]

    def train(self, dataset: int, epochs: int) -> dict:
        return self.requests.post(f"{self.base}/api/training-runs/", headers=self.headers, timeout=60, json={
            "dataset": dataset, "preset": "yolov8n", "epochs": epochs, "imgsz": 64, "batch": 16, "seed": 0,
            "hyperparameters": {"warmup_epochs": 0}}).json()


def _finished(job_id: int, timeout: float = 900):
    from jobs.models import Job
    from tests.two_hosts import wait_until

    job = wait_until(lambda: (j := Job.objects.get(pk=job_id)).is_terminal and j, timeout=timeout,
                     what=f"job {job_id}", interval=0.1)
    if job.state != "SUCCEEDED":
        raise RuntimeError(f"job {job_id} {job.state}: {job.error}")
    return job, (job.finished_at - job.created_at).total_seconds()


def _trainings(s3, bucket: str, work: Path, password: str, epochs: int, repeats: int, resume_epochs: int,
               kill_at: int) -> tuple[dict, dict]:
    from registry.datasets.demo_data import demo_dataset_zip
    from tests.two_hosts import Platform, wait_until
    from training.models import TrainingEpoch, TrainingRun

    contents = [demo_dataset_zip(images=64, imgsz=64, seed=seed) for seed in (0, 1)]  # distinct: no dedupe
    one = Platform(work / "one-host", {"ARTIFACT_STORAGE": "filesystem"})
    two = Platform(work / "two-hosts", s3.env(bucket=bucket))
    try:
        single = one.host("host-one")
        (Path(single.env["PLATFORM_VAR_DIR"])).mkdir(parents=True, exist_ok=True)
        single_api = Api(single.web(), password)
        single.default_worker_and_beat()
        a, b = two.host("host-a"), two.host("host-b")
        two_api = Api(a.web(), password)
        a.default_worker_and_beat()
        for gpu_host in (single, b):
            gpu_host.env["TRAINING_PRELOAD"] = "true"  # as in production: the training stack is imported at start
            gpu_host.gpu_worker()
        datasets = {"one": single_api.dataset(contents[0]), "two": two_api.dataset(contents[1])}
        _finished(single_api.train(datasets["one"], 1)["job"])  # warm-up: first job of each worker, first fetch
        _finished(two_api.train(datasets["two"], 1)["job"])
        one_s, two_s = [], []
        for _ in range(repeats):
            one_s.append(_finished(single_api.train(datasets["one"], epochs)["job"])[1])
            two_s.append(_finished(two_api.train(datasets["two"], epochs)["job"])[1])
        uploads = [float(found) for found in re.findall(r"checkpoints to the store ([0-9.]+) s",
                                                        b.processes["gpu"].log_tail(10 ** 7))][1:]
        comparison = {"epochs": epochs, "repeats": repeats, "one_host_s": one_s, "two_hosts_s": two_s,
                      "ratio": round(statistics.median(two_s) / statistics.median(one_s), 3),
                      "checkpoint_upload_s": uploads}
        # The one-host platform shares the database: its beat's reaper would race host-a's for the killed run
        # below and, winning, send it to host-one, whose filesystem store has no copy of the dataset.
        one.stop()

        full_job, full_s = _finished(two_api.train(datasets["two"], resume_epochs)["job"])
        full_rows = list(TrainingEpoch.objects.filter(run__job_id=full_job.pk).order_by("epoch"))
        epoch_s = statistics.median(e.seconds for e in full_rows if e.seconds)
        full_startup = (full_rows[0].created_at - full_job.started_at).total_seconds() - epoch_s
        run = two_api.train(datasets["two"], resume_epochs)
        wait_until(lambda: TrainingRun.objects.get(pk=run["id"]).checkpoint_epoch >= kill_at, timeout=600,
                   what="the checkpoint to kill after", interval=0.02)
        from django.utils import timezone

        killed_at = timezone.now()
        b.kill("gpu")
        c = two.host("host-c")  # a gpu host that was already there: started now, it boots while the reaper waits
        c.env["TRAINING_PRELOAD"] = "true"
        c.gpu_worker()
        c_ready = (timezone.now() - killed_at).total_seconds()
        job, killed_s = _finished(run["job"])
        requeued = job.transitions.filter(to_state="QUEUED", from_state="RUNNING").first()
        claimed = job.transitions.filter(to_state="RUNNING").order_by("-at", "-id").first()
        detail = TrainingRun.objects.get(pk=run["id"])
        first_resumed = TrainingEpoch.objects.get(run=detail, epoch=detail.resumed_from_epoch + 1)
        detection = (requeued.at - killed_at).total_seconds()
        dispatch = (claimed.at - requeued.at).total_seconds()
        resume_startup = (first_resumed.created_at - claimed.at).total_seconds() - epoch_s
        restart = detection + dispatch + max(resume_startup, 0.0)
        resume = {"epochs": resume_epochs, "killed_after_epoch": kill_at, "full_s": round(full_s, 2),
                  "killed_s": round(killed_s, 2), "lost_s": round(killed_s - full_s, 2), "epoch_s": round(epoch_s, 2),
                  "detection_s": round(detection, 2), "dispatch_s": round(dispatch, 2),
                  "resume_startup_s": round(resume_startup, 2), "first_startup_s": round(full_startup, 2),
                  "host_c_ready_s": round(c_ready, 2), "restart_s": round(restart, 2),
                  "goal_s": round(epoch_s + restart, 2), "resumed_from_epoch": detail.resumed_from_epoch,
                  "hosts": detail.hosts}
        return comparison, resume
    finally:
        one.stop()
        two.stop()


def _inner() -> dict:
    os.environ.update(JOB_HEARTBEAT_SECONDS="0.5", JOB_STALE_AFTER_SECONDS="4", REAPER_INTERVAL_SECONDS="1",
                      DJANGO_SETTINGS_MODULE="config.settings")
    from tests import environment
    from tests.s3_server import S3Server

    work = Path(tempfile.mkdtemp(prefix="bench-artifacts-", dir=environment.RUN_DIR))
    s3 = S3Server(work / "s3").start()
    try:
        bucket = s3.bucket()
        os.environ.update(s3.env(bucket=bucket), ARTIFACT_CACHE_DIR=str(work / "bench-cache"),
                          DATABASE_URL=environment.WORKER_DATABASE_URL)
        os.environ.pop("PLATFORM_TEST_DB_NAME", None)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from accounts.services import user_create

        password = "bench-password-not-secret-1"
        user_create(username="bench", password=password, role="engineer")
        cache = _cache(s3, bucket, work, int(os.environ.get("BENCH_CACHE_REPEATS", "5")))
        print("BENCH_ARTIFACTS_CACHE " + json.dumps(cache, default=str), flush=True)  # kept if a later part fails
        comparison, resume = _trainings(s3, bucket, work, password,
                                        epochs=int(os.environ.get("BENCH_ARTIFACT_TRAIN_EPOCHS", "3")),
                                        repeats=int(os.environ.get("BENCH_ARTIFACT_TRAIN_REPEATS", "3")),
                                        resume_epochs=int(os.environ.get("BENCH_RESUME_EPOCHS", "6")),
                                        kill_at=int(os.environ.get("BENCH_RESUME_KILL_AT", "3")))
        return {"cache": cache, "resume": resume, "two_hosts": comparison}
    finally:
        s3.stop()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if "--inner" in sys.argv:
        print(MARKER + json.dumps(_inner(), default=str), flush=True)
    else:
        main()
