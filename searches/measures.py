"""What an individual is judged by: ultralytics' fitness of its best epoch, and its deployed latency.

Fitness is ultralytics' own definition (`0.1 mAP50 + 0.9 mAP50-95`), taken at the best epoch the training run
reported. Latency is ONNX Runtime CPU p50 at the individual's imgsz, of its best weights exported to ONNX in a
scratch directory (offline); it runs in a gpu-queue worker, since it needs the ML stack and a quiet slot.
"""
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from registry.conversions.onnx import onnx_export

WORST_FITNESS = 0.0  # fitness lies in [0, 1]: a failed individual ranks with the models that detect nothing
WORST_LATENCY_MS = 1e6  # a failed measurement ranks behind every real one
LATENCY_WARMUP_RUNS = 5
LATENCY_TIMED_RUNS = 30


def fitness_of(*, map50, map50_95) -> float:
    return round(0.1 * float(map50 or 0.0) + 0.9 * float(map50_95 or 0.0), 6)


def best_epoch_fitness(epochs) -> float | None:
    """The best per-epoch fitness of TrainingEpoch rows (None without any epoch)."""
    values = [fitness_of(map50=e.map50, map50_95=e.map50_95) for e in epochs]
    return max(values) if values else None


def onnxruntime_cpu_p50_ms(*, weights: Path, imgsz: int, scratch_root: Path | None = None) -> float:
    """Export `weights` to ONNX at `imgsz` and time batch-1 ONNX Runtime CPU runs; returns the p50 in ms."""
    import onnxruntime as ort  # deferred: onnxruntime

    workdir = Path(tempfile.mkdtemp(prefix="search-latency-", dir=scratch_root))
    try:
        onnx_path, _, _ = onnx_export(weights=weights, workdir=workdir, imgsz=imgsz, opset=None, dynamic=False,
                                      simplify=False)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        session = ort.InferenceSession(str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"])
        feed = {session.get_inputs()[0].name: np.random.default_rng(0).random((1, 3, imgsz, imgsz), dtype=np.float32)}
        for _ in range(LATENCY_WARMUP_RUNS):
            session.run(None, feed)
        timings = []
        for _ in range(LATENCY_TIMED_RUNS):
            started = time.perf_counter()
            session.run(None, feed)
            timings.append((time.perf_counter() - started) * 1000.0)
        return round(statistics.median(timings), 3)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
