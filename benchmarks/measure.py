"""The timed loop for one loaded engine at one batch size, and the statistics of its per-iteration timings.

What is timed is `engine.run(batch)` on a pre-processed float32 batch: the same call the inference pool makes, so
pre- and post-processing (identical for every engine) do not blur the comparison. Warm-up iterations run first and
are not recorded; then `iterations` timed runs, extended until `min_seconds` have passed.
"""
import time

import numpy as np

from .sampling import Sampler

PERCENTILES = (50, 90, 95, 99)


def timing_stats(values_ms: np.ndarray, *, batch_size: int) -> dict:
    """mean/std/min/p50/p90/p95/p99/max per batch and per image, and images per second."""
    values = np.asarray(values_ms, dtype=np.float64)
    if values.size == 0:
        return {}
    p50, p90, p95, p99 = np.percentile(values, PERCENTILES)
    stats = {"iterations": int(values.size), "mean_ms": values.mean(), "std_ms": values.std(), "min_ms": values.min(),
             "p50_ms": p50, "p90_ms": p90, "p95_ms": p95, "p99_ms": p99, "max_ms": values.max()}
    stats.update({"mean_ms_per_image": stats["mean_ms"] / batch_size, "p50_ms_per_image": p50 / batch_size,
                  "p95_ms_per_image": p95 / batch_size, "p99_ms_per_image": p99 / batch_size,
                  "fps": 1000.0 * batch_size * values.size / values.sum()})
    return {key: (round(float(value), 4) if isinstance(value, float) else value) for key, value in stats.items()}


def timed_loop(*, engine, batch: np.ndarray, warmup: int, iterations: int, min_seconds: float,
               gpu_index: int | None = None, on_tick=None) -> tuple[np.ndarray, dict, float]:
    """(per-iteration ms, resource summary, cold ms). The first run after load is the cold run, timed alone."""
    started = time.perf_counter()
    engine.run(batch)
    cold_ms = (time.perf_counter() - started) * 1000
    for _ in range(max(0, warmup - 1)):
        engine.run(batch)
    sampler = Sampler(gpu_index=gpu_index)
    sampler.start()
    timings = []
    deadline = time.perf_counter() + min_seconds
    try:
        while len(timings) < iterations or time.perf_counter() < deadline:
            t0 = time.perf_counter_ns()
            engine.run(batch)
            timings.append((time.perf_counter_ns() - t0) / 1e6)
            if on_tick is not None and len(timings) % 50 == 0:
                on_tick(len(timings))
    finally:
        resources = sampler.stop()
    return np.asarray(timings, dtype=np.float64), resources, round(cold_ms, 3)
