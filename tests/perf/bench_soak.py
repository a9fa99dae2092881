"""Soak: SOAK_CLIENTS (100) concurrent clients on predict for SOAK_SECONDS (60 in `make bench`, 300 in `make soak`).

The platform runs as `make run` runs it: gunicorn with platform/gunicorn.conf.py (2 workers, gthread) and one
inference pool process, on its own embedded Redis and SQLite database in a throwaway directory. yolov8n from its
YAML exported to ONNX at SOAK_IMGSZ (160: the soak is about errors and memory, not speed, and 100 clients must be
served within the 10 s default deadline on a 2-core machine), one real JPEG per request over keep-alive.

Passes when: 0 failed requests (anything but 200, or no answer), and the resident memory of every process (gunicorn
master and workers, pool, Redis) grows by less than 10 % between the end of the warm-up (the first minute, or the
first fifth of a shorter run) and the end. Prints every figure as tries / failures.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from tests.perf.bench_inference import Client, _free_port, _jpeg, _multipart
from tests.perf.harness import percentiles, print_table, processes_stop, yolov8n_onnx

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "100"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
IMGSZ = int(os.environ.get("SOAK_IMGSZ", "160"))
SAMPLE_SECONDS = 5.0
MAX_GROWTH = 0.10

SETUP = """
import json
from accounts.services import user_create
from registry.models import ModelVersion
from core.storage import artifact_store_file
from rest_framework_simplejwt.tokens import RefreshToken
from pathlib import Path
user = user_create(username="soak", password="soak-password-123", role="engineer")
name, sha, size = artifact_store_file(path=Path({onnx!r}), kind="models", suffix=".onnx")
model = ModelVersion.objects.create(name="yolov8n", version=1, owner=user, format="onnx", source="preset",
    class_names=[str(i) for i in range(80)], input_size={imgsz}, file=name, file_size=size, sha256=sha)
print(json.dumps({{"model": model.pk, "token": str(RefreshToken.for_user(user).access_token)}}))
"""


def _rss_by_process(roots: dict[str, psutil.Process]) -> dict[str, int]:
    """RSS in bytes of each named process and, for gunicorn, each worker (named by its pid's rank)."""
    out = {}
    for name, process in roots.items():
        try:
            out[name] = process.memory_info().rss
            for rank, child in enumerate(sorted(process.children(), key=lambda p: p.pid)):
                out[f"{name} worker {rank + 1}"] = child.memory_info().rss
        except psutil.Error:
            pass
    return out


def _load(make_client, stop_at: float, tally: dict, lock: threading.Lock, latencies: list) -> None:
    client = make_client()
    while time.monotonic() < stop_at:
        status, elapsed, _ = client.call()
        with lock:
            tally["tries"] += 1
            if status == 200:
                latencies.append(elapsed)
            else:
                tally["failures"] += 1
                tally["statuses"][status] = tally["statuses"].get(status, 0) + 1


def main() -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from core import embedded_redis

    work = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    redis_port, web_port = embedded_redis.free_port(), _free_port()
    redis_process = embedded_redis.start(port=redis_port, data_dir=work / "redis", persist=False)
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", PLATFORM_VAR_DIR=str(work / "var"),
               ARTIFACT_ROOT=str(work / "artifacts"), DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
               SECRET_KEY="soak-secret-key-not-for-production-32-bytes-or-more", DEBUG="false", YOLO_OFFLINE="1",
               PYTHONUNBUFFERED="1", PLATFORM_WEB_PORT=str(web_port), INFERENCE_MAX_QUEUE="1000")
    env.pop("PLATFORM_TEST_DB_NAME", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    processes = []
    try:
        onnx = yolov8n_onnx(work, IMGSZ)
        jpeg = _jpeg(work / "image.jpg")
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        setup = subprocess.run([*manage, "shell", "-c", SETUP.format(onnx=str(onnx), imgsz=IMGSZ)], cwd=ROOT,
                               env=env, check=True, capture_output=True, text=True)
        ids = json.loads(setup.stdout.strip().splitlines()[-1])
        log = open(work / "processes.log", "ab")
        pool = subprocess.Popen([*manage, "inference_pool", "--id", "soak"], cwd=ROOT,
                                env=dict(env, INFERENCE_PRELOAD=str(ids["model"])), stdout=log,
                                stderr=subprocess.STDOUT)
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c",
                                "platform/gunicorn.conf.py", "--access-logfile", "/dev/null"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        processes += [pool, web]
        body, content_type = _multipart(jpeg)

        def make_client():
            return Client(web_port, f"/api/inference/{ids['model']}/predict/", body, content_type, ids["token"])

        deadline = time.monotonic() + 180
        while make_client().call()[0] != 200:  # the web process is up and the pool has the model warm
            if time.monotonic() > deadline or web.poll() is not None or pool.poll() is not None:
                raise RuntimeError(f"platform did not start: {(work / 'processes.log').read_text()[-3000:]}")
            time.sleep(0.5)
        roots = {"gunicorn": psutil.Process(web.pid), "inference pool": psutil.Process(pool.pid),
                 "redis": psutil.Process(redis_process.pid)}
        warmup = min(60.0, SECONDS / 5)
        tally, lock, latencies = {"tries": 0, "failures": 0, "statuses": {}}, threading.Lock(), []
        started = time.monotonic()
        stop_at = started + SECONDS
        threads = [threading.Thread(target=_load, args=(make_client, stop_at, tally, lock, latencies), daemon=True)
                   for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        samples = []  # (seconds since start, {process: rss})
        while time.monotonic() < stop_at:
            time.sleep(SAMPLE_SECONDS)
            samples.append((time.monotonic() - started, _rss_by_process(roots)))
        for thread in threads:
            thread.join(timeout=120)
        wall = time.monotonic() - started
    finally:
        processes_stop(processes, redis_process)
        log_text = (work / "processes.log").read_text(errors="replace") if (work / "processes.log").exists() else ""
        shutil.rmtree(work, ignore_errors=True)
    # a body parsed as a request on a kept-alive connection (issue 21): gunicorn logs it as an invalid request
    desyncs = log_text.count("Invalid request from ip=")
    server_errors = sum(n for code, n in tally["statuses"].items() if isinstance(code, int) and code >= 500)

    warm = next(rss for at, rss in samples if at >= warmup)
    end = samples[-1][1]
    growth = {name: (end[name] - warm[name]) / warm[name] for name in warm if name in end}
    memory_ok = {name: g < MAX_GROWTH for name, g in growth.items()}
    latency = percentiles(latencies) if latencies else None
    print_table(f"Soak: {CLIENTS} clients on predict for {SECONDS:.0f} s (yolov8n ONNX {IMGSZ}, CPU); "
                f"memory from the end of the {warmup:.0f} s warm-up to the end",
                ["process", "RSS warm MB", "RSS end MB", "growth %", "< 10 %"],
                [[name, warm[name] / 2**20, end[name] / 2**20, 100 * growth[name], "yes" if memory_ok[name] else "NO"]
                 for name in growth])
    print(f"  requests (tries / failures): {tally['tries']} / {tally['failures']}  statuses of failures "
          f"{tally['statuses']}; {len(latencies) / wall:.1f} requests/s; latency ms "
          + (f"p50 {latency['p50']:.0f} p99 {latency['p99']:.0f} max {latency['max']:.0f}" if latency else "-"))
    print(f"  5xx answers: {server_errors}; bodies parsed as requests (web log): {desyncs}")
    print(f"  processes under 10 % growth (tries / failures): {len(memory_ok)} / "
          f"{sum(1 for ok in memory_ok.values() if not ok)}")
    return {"clients": CLIENTS, "seconds": SECONDS, "imgsz": IMGSZ, "tries": tally["tries"],
            "failures": tally["failures"], "failure_statuses": tally["statuses"], "latency": latency,
            "requests_per_s": len(latencies) / wall, "rss_warm": warm, "rss_end": end, "growth": growth,
            "server_errors": server_errors, "desync_lines": desyncs,
            "targets": {"errors_zero": tally["failures"] == 0, "memory_growth_lt_10pct": all(memory_ok.values()),
                        "no_desync": desyncs == 0}}


if __name__ == "__main__":
    result = main()
    sys.exit(0 if all(result["targets"].values()) else 1)
