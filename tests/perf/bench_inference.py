"""Inference serving overhead: REST end to end (gunicorn + pool process + Redis) against raw ONNX Runtime.

yolov8n from its YAML (random weights: the compute is what matters) exported to ONNX at 640, a real 640x480 JPEG.
1. Raw ONNX Runtime `session.run` in-process on the same preprocessed input: latency at batch 1 and saturated
   throughput (the better of batch 1 and batch INFERENCE_MAX_BATCH, the mean of runs before and after the load).
2. REST at concurrency 1, interleaved call by call with raw runs (the same background load for both): p50/p95/p99
   and the p50 ratio against raw (target <= 1.10, p95 < 100 ms).
3. 100 concurrent clients for 30 s (threads with keep-alive http.client, 127.0.0.1 only, stops by itself):
   requests/s against raw throughput (target >= 0.9), errors (target 0), p99.
Everything runs in a throwaway directory with its own embedded Redis and SQLite database.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from http.client import HTTPConnection
from pathlib import Path

import numpy as np

from tests.perf.harness import percentiles, print_table, processes_stop, yolov8n_onnx

ROOT = Path(__file__).resolve().parents[2]
IMGSZ = 640
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "100"))
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "150"))

SETUP = """
import json
from accounts.services import user_create
from registry.models import ModelVersion
from core.storage import artifact_store_file
from rest_framework_simplejwt.tokens import RefreshToken
from pathlib import Path
user = user_create(username="bench", password="bench-password-123", role="engineer")
name, sha, size = artifact_store_file(path=Path({onnx!r}), kind="models", suffix=".onnx")
model = ModelVersion.objects.create(name="yolov8n", version=1, owner=user, format="onnx", source="preset",
    class_names=[str(i) for i in range(80)], input_size=640, file=name, file_size=size, sha256=sha)
print(json.dumps({{"model": model.pk, "token": str(RefreshToken.for_user(user).access_token)}}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jpeg(path: Path) -> bytes:
    import cv2

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:480, 0:640]
    image = np.stack([(x / 640 * 255), (y / 480 * 255), ((x + y) % 256)], -1).astype(np.uint8)
    for _ in range(12):
        cx, cy, r = int(rng.integers(40, 600)), int(rng.integers(40, 440)), int(rng.integers(15, 80))
        cv2.circle(image, (cx, cy), r, tuple(int(v) for v in rng.integers(0, 255, 3)), -1)
    image = cv2.add(image, rng.integers(0, 20, image.shape, dtype=np.uint8))
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    path.write_bytes(data.tobytes())
    return data.tobytes()


class Raw:
    """Raw ONNX Runtime in this process on the same model and the same preprocessed input as the pool's."""

    def __init__(self, onnx: Path, jpeg: bytes):
        import onnxruntime

        from core.yolo_processing import image_decode, preprocess

        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # the pool's options
        self.session = onnxruntime.InferenceSession(str(onnx), sess_options=options,
                                                    providers=["CPUExecutionProvider"])
        self.name = self.session.get_inputs()[0].name
        self.x = preprocess([image_decode(jpeg)], IMGSZ)
        for _ in range(10):
            self.run()

    def run(self, x=None) -> float:
        started = time.perf_counter()
        self.session.run(None, {self.name: self.x if x is None else x})
        return (time.perf_counter() - started) * 1000

    def throughput(self, batches, seconds: float = 6.0) -> dict:
        out = {}
        for batch in batches:
            xb = np.repeat(self.x, batch, axis=0)
            self.run(xb)
            runs, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                self.run(xb)
                runs += batch
            out[batch] = runs / (time.perf_counter() - started)
        return out


def _multipart(jpeg: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + jpeg + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Client:
    def __init__(self, port: int, path: str, body: bytes, content_type: str, token: str):
        self.port, self.path, self.body = port, path, body
        self.headers = {"Content-Type": content_type, "Authorization": f"Bearer {token}",
                        "Content-Length": str(len(body))}
        self.conn = HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self) -> tuple[int, float, dict | None]:
        started = time.perf_counter()
        try:
            self.conn.request("POST", self.path, body=self.body, headers=self.headers)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
        except Exception:
            self.conn.close()
            self.conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, (time.perf_counter() - started) * 1000, None
        elapsed = (time.perf_counter() - started) * 1000
        return status, elapsed, json.loads(data) if status == 200 else None


def _load(make_client, clients: int, seconds: float) -> dict:
    stop_at = time.monotonic() + seconds
    latencies, errors, statuses, batches = [], [0], {}, []
    lock = threading.Lock()

    def worker():
        client = make_client()
        while time.monotonic() < stop_at:
            status, elapsed, body = client.call()
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)
                    batches.append(body["results"][0]["batch_size"])
                else:
                    errors[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    wall = time.monotonic() - started
    return {"requests_per_s": len(latencies) / wall, "errors": errors[0], "statuses": statuses,
            "latency": percentiles(latencies) if latencies else None,
            "mean_batch": float(np.mean(batches)) if batches else 0.0, "wall_s": wall}


def main() -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from core import embedded_redis

    work = Path(tempfile.mkdtemp(prefix="bench-inference-"))
    processes = []
    redis_port, web_port = embedded_redis.free_port(), _free_port()
    redis_process = embedded_redis.start(port=redis_port, data_dir=work / "redis", persist=False)
    max_batch = int(os.environ.get("INFERENCE_MAX_BATCH", "8"))
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", PLATFORM_VAR_DIR=str(work / "var"),
               ARTIFACT_ROOT=str(work / "artifacts"), DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
               # 32 bytes or more: a shorter HMAC key makes PyJWT warn on every request, which costs time
               SECRET_KEY="bench-secret-key-not-for-production-32-bytes-or-more", DEBUG="false", YOLO_OFFLINE="1",
               PYTHONUNBUFFERED="1",
               INFERENCE_MAX_QUEUE=os.environ.get("INFERENCE_MAX_QUEUE", "1000"),
               # 100 clients in flight at ~15 images/s wait ~7 s each (Little's law) whatever the server does:
               # the load phase measures throughput, so its deadline is longer than the 10 s default.
               INFERENCE_TIMEOUT_MS=os.environ.get("INFERENCE_TIMEOUT_MS", "60000"))
    env.pop("PLATFORM_TEST_DB_NAME", None)
    try:
        onnx = yolov8n_onnx(work, IMGSZ)
        jpeg = _jpeg(work / "image.jpg")
        raw = Raw(onnx, jpeg)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
        setup = subprocess.run([*manage, "shell", "-c", SETUP.format(onnx=str(onnx))], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True)
        ids = json.loads(setup.stdout.strip().splitlines()[-1])
        log = open(work / "processes.log", "ab")
        pool_env = dict(env, INFERENCE_PRELOAD=str(ids["model"]))
        processes.append(subprocess.Popen([*manage, "inference_pool", "--id", "bench"], cwd=ROOT, env=pool_env,
                                          stdout=log, stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{web_port}", "-w", "1",
             "-k", "gthread", "--threads", str(CLIENTS + 28), "--timeout", "120", "--backlog", "2048"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/api/health/live/", timeout=2):
                    pass
                request = urllib.request.Request(f"http://127.0.0.1:{web_port}/api/inference/health/",
                                                 headers={"Authorization": f"Bearer {ids['token']}"})
                with urllib.request.urlopen(request, timeout=2) as answer:
                    health = json.loads(answer.read())
                if any(m["model_id"] == ids["model"] for w in health["workers"] for m in w["models"]):
                    break
            except Exception:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"platform did not start: {(work / 'processes.log').read_text()[-3000:]}")
            time.sleep(0.5)
        body, content_type = _multipart(jpeg)

        def make_client():
            return Client(web_port, f"/api/inference/{ids['model']}/predict/", body, content_type, ids["token"])

        client = make_client()
        for _ in range(10):
            client.call()
        # Interleaved, so both paths see the same background load on a shared machine.
        raw_samples, sequential, stages = [], [], []
        for _ in range(SEQUENTIAL):
            raw_samples.append(raw.run())
            status, elapsed, answer = client.call()
            if status == 200:
                sequential.append(elapsed)
                stages.append(answer["results"][0]["timings"])
        raw_latency, rest = percentiles(raw_samples), percentiles(sequential)
        stage_p50 = {k: float(np.median([s[k] for s in stages])) for k in stages[0]}
        before = raw.throughput(sorted({1, max_batch}))
        load = _load(make_client, CLIENTS, LOAD_SECONDS)
        after = raw.throughput(sorted({1, max_batch}))
        raw_throughput = {b: (before[b] + after[b]) / 2 for b in before}
    finally:
        processes_stop(processes, redis_process)
        shutil.rmtree(work, ignore_errors=True)

    raw = {"latency": raw_latency, "throughput": raw_throughput, "best_throughput": max(raw_throughput.values()),
           "throughput_before": before, "throughput_after": after}
    p50_ratio = rest["p50"] / raw["latency"]["p50"]
    throughput_ratio = load["requests_per_s"] / raw["best_throughput"]
    rows = [
        ["raw ORT session.run, batch 1", raw["latency"]["p50"], raw["latency"]["p95"], raw["latency"]["p99"],
         1000 / raw["latency"]["p50"], "-", "-"],
        ["REST end to end, concurrency 1", rest["p50"], rest["p95"], rest["p99"], 1000 / rest["p50"],
         f"p50 x{p50_ratio:.3f} (<=1.10)", 0],
        ["raw ORT saturated (best batch)", "-", "-", "-", raw["best_throughput"], "-", "-"],
        [f"REST {CLIENTS} clients x {LOAD_SECONDS:.0f} s", load["latency"]["p50"] if load["latency"] else "-",
         load["latency"]["p95"] if load["latency"] else "-", load["latency"]["p99"] if load["latency"] else "-",
         load["requests_per_s"], f"rps x{throughput_ratio:.3f} (>=0.9)", load["errors"]],
    ]
    print_table("Inference serving, yolov8n 640, CPU (ms; throughput in images/s)",
                ["path", "p50", "p95", "p99", "per s", "vs raw", "errors"], rows)
    print("  REST stage medians (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in stage_p50.items()))
    print(f"  raw throughput by batch: {{{', '.join(f'{b}: {v:.2f}/s' for b, v in raw['throughput'].items())}}}; "
          f"mean batch under load {load['mean_batch']:.2f}; statuses {load['statuses']}")
    return {"raw": raw, "rest_concurrency_1": rest, "rest_stage_p50_ms": stage_p50, "load": load,
            "p50_ratio": p50_ratio, "throughput_ratio": throughput_ratio,
            "targets": {"p50_ratio_le_1.10": p50_ratio <= 1.10, "p95_lt_100ms": rest["p95"] < 100,
                        "throughput_ratio_ge_0.9": throughput_ratio >= 0.9, "errors_zero": load["errors"] == 0}}


if __name__ == "__main__":
    main()
