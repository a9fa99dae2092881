"""Serving overhead with the applied engine: REST predict and v2 infer (through the real `tritonclient`) against the
same engine run in-process, and against raw ONNX Runtime (what "the selection pays" compares with).

yolov8n (random weights) exported to ONNX at 640 with a dynamic batch, one 640x480 JPEG, a throwaway platform
(embedded Redis, SQLite, gunicorn gthread 1 worker, 1 pool process), the model served with BENCH_SERVING_ENGINE
(default: openvino-cpu when this machine has it, else onnxruntime-cpu) set as its serving choice.
1. Concurrency 1, interleaved call by call (the same background load for every path): the engine in-process from the
   same JPEG bytes (decode + letterbox + run + postprocess), REST predict (multipart, and the raw `image/jpeg` body),
   v2 infer of the JPEG bytes (BYTES), the engine in-process on the
   preprocessed tensor, v2 infer of that tensor (binary, tritonclient), and raw ONNX Runtime `session.run`.
   Overhead = REST p50 - in-process p50 (goal <= 6 ms); v2 p50 - in-process tensor p50 (goal <= 4 ms);
   selection pays = REST p50 / raw ORT p50 (goal <= 0.6), and the same for v2.
2. BENCH_CLIENTS (100) concurrent clients for BENCH_LOAD_SECONDS (30) on REST, then on v2 (tritonclient, encoded
   JPEG bytes, as a camera sends): 0 errors, throughput / raw ORT saturated (goal >= 1.8).
The pool's own stage medians for REST are printed (the breakdown in docs/performance.md).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

from tests.perf.bench_inference import SETUP, Client, Raw, _free_port, _jpeg, _multipart
from tests.perf.harness import percentiles, print_table, processes_stop, yolov8n_onnx

ROOT = Path(__file__).resolve().parents[2]
IMGSZ = 640
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "100"))
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "100"))
APPLY = """
from serving.services import serving_set
serving_set(user=user, model=model, engine={engine!r})
"""


def _engine_name() -> str:
    from inference.engines import engines_available

    wanted = os.environ.get("BENCH_SERVING_ENGINE")
    if wanted:
        return wanted
    return "openvino-cpu" if engines_available().get("openvino-cpu", {}).get("available") else "onnxruntime-cpu"


class InProcess:
    """The applied engine in this process: from JPEG bytes (what REST's pool does) and from the tensor (v2's)."""

    def __init__(self, engine: str, onnx: Path, jpeg: bytes):
        from inference.engines import ENGINES
        from core.yolo_processing import image_decode, preprocess

        self.engine = ENGINES[engine]().load(str(onnx))
        self.jpeg, self.x = jpeg, preprocess([image_decode(jpeg)], IMGSZ)
        for _ in range(10):
            self.from_jpeg()

    def from_jpeg(self) -> float:
        from core.yolo_processing import image_decode, postprocess, preprocess

        started = time.perf_counter()
        image = image_decode(self.jpeg)
        output = self.engine.run(preprocess([image], IMGSZ))
        postprocess(output[0], imgsz=IMGSZ, orig_shape=image.shape[:2], conf=0.25, iou=0.7, max_det=300)
        return (time.perf_counter() - started) * 1000

    def from_tensor(self) -> float:
        from core.yolo_processing import postprocess

        started = time.perf_counter()
        output = self.engine.run(self.x)
        postprocess(output[0], imgsz=IMGSZ, orig_shape=(IMGSZ, IMGSZ), conf=0.25, iou=0.7, max_det=300)
        return (time.perf_counter() - started) * 1000


class Triton:
    """One tritonclient HTTP client sending either the preprocessed tensor or the JPEG bytes."""

    def __init__(self, port: int, token: str, *, tensor: np.ndarray | None = None, jpeg: bytes | None = None):
        import tritonclient.http as httpclient

        self.client = httpclient.InferenceServerClient(url=f"127.0.0.1:{port}", network_timeout=120)
        if tensor is not None:
            self.input = httpclient.InferInput("images", list(tensor.shape), "FP32")
            self.input.set_data_from_numpy(tensor, binary_data=True)
        else:
            self.input = httpclient.InferInput("image_bytes", [1], "BYTES")
            self.input.set_data_from_numpy(np.array([jpeg], dtype=np.object_), binary_data=True)
        self.outputs = [httpclient.InferRequestedOutput(n) for n in ("boxes", "scores", "classes", "num_detections")]
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self) -> tuple[int, float, dict | None]:
        from tritonclient.utils import InferenceServerException

        started = time.perf_counter()
        try:
            result = self.client.infer("yolov8n", [self.input], model_version="1", outputs=self.outputs,
                                       headers=self.headers)
            timings = json.loads(result.get_response()["parameters"]["timings"])
            return 200, (time.perf_counter() - started) * 1000, timings
        except InferenceServerException as exc:
            status = int(exc.status() or 0)
        except Exception:
            status = 0
        return status, (time.perf_counter() - started) * 1000, None


def _load(make_client, clients: int, seconds: float) -> dict:
    stop_at = time.monotonic() + seconds
    latencies, statuses, lock = [], {}, threading.Lock()

    def worker():
        client = make_client()
        while time.monotonic() < stop_at:
            status, elapsed, _ = client.call()
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    wall = time.monotonic() - started
    return {"requests_per_s": len(latencies) / wall, "errors": sum(n for s, n in statuses.items() if s != 200),
            "statuses": statuses, "latency": percentiles(latencies) if latencies else None}


def _platform(work: Path, env: dict, onnx: Path, engine: str, web_port: int, processes: list) -> dict:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    script = SETUP.format(onnx=str(onnx)).replace("print(json", APPLY.format(engine=engine) + "print(json")
    setup = subprocess.run([*manage, "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True,
                           text=True)
    ids = json.loads(setup.stdout.strip().splitlines()[-1])
    log = open(work / "processes.log", "ab")
    processes.append(subprocess.Popen([*manage, "inference_pool", "--id", "bench"], cwd=ROOT, stdout=log,
                                      env=dict(env, INFERENCE_PRELOAD=str(ids["model"])), stderr=subprocess.STDOUT))
    processes.append(subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{web_port}", "-w", "1",
         "-k", "gthread", "--threads", str(CLIENTS + 28), "--timeout", "120", "--backlog", "2048"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 180
    while True:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{web_port}/api/inference/health/",
                                             headers={"Authorization": f"Bearer {ids['token']}"})
            with urllib.request.urlopen(request, timeout=2) as answer:
                health = json.loads(answer.read())
            if any(m["model_id"] == ids["model"] for w in health["workers"] for m in w["models"]):
                return ids
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"platform did not start: {(work / 'processes.log').read_text()[-3000:]}")
        time.sleep(0.5)


def _measure(web_port: int, ids: dict, jpeg: bytes, local: InProcess, raw: Raw) -> dict:
    body, content_type = _multipart(jpeg)
    rest = Client(web_port, f"/api/inference/{ids['model']}/predict/", body, content_type, ids["token"])
    rest_raw = Client(web_port, f"/api/inference/{ids['model']}/predict/", jpeg, "image/jpeg", ids["token"])
    v2 = Triton(web_port, ids["token"], tensor=local.x)
    v2_jpeg = Triton(web_port, ids["token"], jpeg=jpeg)
    for _ in range(10):
        rest.call(), rest_raw.call(), v2.call(), v2_jpeg.call()
    samples = {k: [] for k in ("local_jpeg", "rest", "rest_raw", "v2_jpeg", "local_tensor", "v2", "raw_ort")}
    stages, v2_stages, engines = [], [], set()
    for _ in range(SEQUENTIAL):  # interleaved, so every path sees the same background load
        samples["local_jpeg"].append(local.from_jpeg())
        status, elapsed, answer = rest.call()
        if status == 200:
            samples["rest"].append(elapsed)
            stages.append(answer["results"][0]["timings"])
            engines.add(answer["engine"])
        for name, client in (("rest_raw", rest_raw), ("v2_jpeg", v2_jpeg)):
            status, elapsed, _ = client.call()
            if status == 200:
                samples[name].append(elapsed)
        samples["local_tensor"].append(local.from_tensor())
        status, elapsed, timings = v2.call()
        if status == 200:
            samples["v2"].append(elapsed)
            v2_stages.append(timings)
        samples["raw_ort"].append(raw.run())
    stats = {k: percentiles(v) for k, v in samples.items()}
    stats["stage_p50_ms"] = {k: float(np.median([s[k] for s in stages])) for k in stages[0]}
    stats["v2_stage_p50_ms"] = {k: float(np.median([s[k] for s in v2_stages])) for k in v2_stages[0]}
    stats["served_by"] = sorted(engines)
    return stats


def main() -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-32-bytes-or-more")  # a fresh checkout
    import django

    django.setup()
    from core import embedded_redis

    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    processes, engine = [], _engine_name()
    redis_port, web_port = embedded_redis.free_port(), _free_port()
    redis_process = embedded_redis.start(port=redis_port, data_dir=work / "redis", persist=False)
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", PLATFORM_VAR_DIR=str(work / "var"),
               ARTIFACT_ROOT=str(work / "artifacts"), DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
               SECRET_KEY="bench-secret-key-not-for-production-32-bytes-or-more", DEBUG="false", YOLO_OFFLINE="1",
               PYTHONUNBUFFERED="1", INFERENCE_MAX_QUEUE=os.environ.get("INFERENCE_MAX_QUEUE", "1000"),
               INFERENCE_TIMEOUT_MS=os.environ.get("INFERENCE_TIMEOUT_MS", "60000"))  # Little's law under load
    env.pop("PLATFORM_TEST_DB_NAME", None)
    try:
        onnx = yolov8n_onnx(work, IMGSZ)
        jpeg = _jpeg(work / "image.jpg")
        raw, local = Raw(onnx, jpeg), InProcess(engine, onnx, jpeg)
        ids = _platform(work, env, onnx, engine, web_port, processes)
        c1 = _measure(web_port, ids, jpeg, local, raw)
        before = raw.throughput(sorted({1, 8}))
        body, content_type = _multipart(jpeg)
        rest_load = _load(lambda: Client(web_port, f"/api/inference/{ids['model']}/predict/", body, content_type,
                                         ids["token"]), CLIENTS, LOAD_SECONDS)
        v2_load = _load(lambda: Triton(web_port, ids["token"], jpeg=jpeg), CLIENTS, LOAD_SECONDS)
        after = raw.throughput(sorted({1, 8}))
    finally:
        processes_stop(processes, redis_process)
        shutil.rmtree(work, ignore_errors=True)
    saturated = max((before[b] + after[b]) / 2 for b in before)
    p50 = {k: c1[k]["p50"] for k in ("local_jpeg", "rest", "rest_raw", "v2_jpeg", "local_tensor", "v2", "raw_ort")}
    results = {"engine": engine, "served_by": c1["served_by"], "concurrency_1": c1, "raw_ort_saturated": saturated,
               "rest_load": rest_load, "v2_load": v2_load,
               "rest_overhead_ms": p50["rest"] - p50["local_jpeg"],
               "rest_raw_overhead_ms": p50["rest_raw"] - p50["local_jpeg"],
               "v2_jpeg_overhead_ms": p50["v2_jpeg"] - p50["local_jpeg"], "v2_overhead_ms": p50["v2"] - p50["local_tensor"],
               "rest_selection_pays": p50["rest"] / p50["raw_ort"], "v2_selection_pays": p50["v2"] / p50["raw_ort"],
               "rest_load_ratio": rest_load["requests_per_s"] / saturated,
               "v2_load_ratio": v2_load["requests_per_s"] / saturated}
    rows = [[f"{engine} in-process from the JPEG", p50["local_jpeg"], c1["local_jpeg"]["p95"], "-", "-"],
            ["REST predict, c=1", p50["rest"], c1["rest"]["p95"], f"+{results['rest_overhead_ms']:.2f} ms (<=6)",
             f"x{results['rest_selection_pays']:.3f} (<=0.6)"],
            ["REST predict, raw JPEG body, c=1", p50["rest_raw"], c1["rest_raw"]["p95"],
             f"+{results['rest_raw_overhead_ms']:.2f} ms", f"x{p50['rest_raw'] / p50['raw_ort']:.3f}"],
            ["v2 infer (tritonclient, JPEG bytes), c=1", p50["v2_jpeg"], c1["v2_jpeg"]["p95"],
             f"+{results['v2_jpeg_overhead_ms']:.2f} ms", f"x{p50['v2_jpeg'] / p50['raw_ort']:.3f}"],
            [f"{engine} in-process on the tensor", p50["local_tensor"], c1["local_tensor"]["p95"], "-", "-"],
            ["v2 infer (tritonclient, FP32 tensor), c=1", p50["v2"], c1["v2"]["p95"],
             f"+{results['v2_overhead_ms']:.2f} ms (<=4)", f"x{results['v2_selection_pays']:.3f}"],
            ["raw ORT session.run", p50["raw_ort"], c1["raw_ort"]["p95"], "-", "-"]]
    print_table(f"Serving with {engine} (served by {', '.join(c1['served_by'])}), yolov8n 640, batch 1 (ms)",
                ["path", "p50", "p95", "overhead", "vs raw ORT"], rows)
    print("  REST stage medians (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in c1["stage_p50_ms"].items()))
    print("  v2 tensor stage medians (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in c1["v2_stage_p50_ms"].items()))
    print(f"  {CLIENTS} clients x {LOAD_SECONDS:.0f} s: REST {rest_load['requests_per_s']:.2f}/s "
          f"(x{results['rest_load_ratio']:.3f}, errors {rest_load['errors']}), v2 tritonclient JPEG bytes "
          f"{v2_load['requests_per_s']:.2f}/s (x{results['v2_load_ratio']:.3f}, errors {v2_load['errors']}); "
          f"raw ORT saturated {saturated:.2f}/s (goal >= 1.8, 0 errors)")
    return results


if __name__ == "__main__":
    main()
