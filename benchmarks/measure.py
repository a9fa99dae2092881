"""The timed loops of the loaded engines at one batch size, interleaved, and the statistics of their timings.

What is timed is `engine.run(batch)` on a pre-processed float32 batch: the same call the inference pool makes, so
pre- and post-processing (identical for every engine) do not blur the comparison. Each engine's first run is its
cold run; warm-up iterations follow and are not recorded. The timed iterations then run in rounds, each round giving
every engine a short chunk in turn, until every engine has `iterations` (and `min_seconds` of timed runs): on a
shared host the background load drifts over seconds, and interleaving puts every engine under the same drift
instead of giving one engine a quiet minute and the next a busy one.
"""
import math
import time
from array import array

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded

from .sampling import Sampler

PERCENTILES = (50, 90, 95, 99)
ROUNDS = 10


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


def timings_sample(values_ms, *, limit: int) -> np.ndarray:
    """At most `limit` of the timings, a uniform random sample (seeded) in their original order: what a row stores
    for distributions and charts. The row's statistics are computed from every timing before this."""
    values = np.asarray(values_ms, dtype=np.float32)
    if values.size <= limit:
        return values
    keep = np.sort(np.random.default_rng(0).choice(values.size, size=limit, replace=False))
    return values[keep]


class Loop:
    """One engine's timed loop at one batch size, built up chunk by chunk."""

    def __init__(self, *, key, engine, gpu_index: int | None):
        self.key, self.engine, self.gpu_index = key, engine, gpu_index
        self.timings = array("d")  # 8 bytes a timing: a long min_seconds may time millions of runs
        self.samplers: list[Sampler] = []
        self.cold_ms: float | None = None
        self.error: Exception | None = None

    def start(self, batch: np.ndarray, warmup: int) -> None:
        started = time.perf_counter()
        self.engine.run(batch)
        self.cold_ms = round((time.perf_counter() - started) * 1000, 3)
        for _ in range(max(0, warmup - 1)):
            self.engine.run(batch)

    def chunk(self, batch: np.ndarray, count: int) -> None:
        sampler = Sampler(gpu_index=self.gpu_index)
        sampler.start()
        try:
            for _ in range(count):
                t0 = time.perf_counter_ns()
                self.engine.run(batch)
                self.timings.append((time.perf_counter_ns() - t0) / 1e6)
        finally:
            sampler.stop()
            self.samplers.append(sampler)

    @property
    def seconds(self) -> float:
        return sum(self.timings) / 1000

    def resources(self) -> dict:
        """Merged over the chunks. RSS growth is this engine's own: the peak during its chunks over the RSS they
        started from (the process also holds the other engines measured alongside)."""
        s = self.samplers
        gpu_memory = [m for x in s for m in x.gpu_memory]
        gpu_util = [u for x in s for u in x.gpu_util]
        wall = sum(x.wall_seconds for x in s)
        return {"rss_growth_mb": round(max((x.rss_peak - x.rss_start for x in s), default=0) / 2**20, 1),
                "gpu_mem_peak_mb": round(max(gpu_memory), 1) if gpu_memory else None,
                "gpu_util_mean": round(sum(gpu_util) / len(gpu_util), 1) if gpu_util else None,
                "gpu_util_max": max(gpu_util) if gpu_util else None,
                "cpu_util": round(100.0 * sum(x.cpu_seconds for x in s) / wall, 1) if wall else None,
                "gpu_error": next((x.gpu_error for x in s if x.gpu_error), "")}


def interleaved_loops(*, loops: list[Loop], batch: np.ndarray, warmup: int, iterations: int, min_seconds: float,
                      on_round=None) -> None:
    """Run every loop's cold run and warm-up, then timed chunks round-robin until each has enough. A loop whose
    engine raises keeps the error and drops out; the others go on."""
    for loop in loops:
        try:
            loop.start(batch, warmup)
        except SoftTimeLimitExceeded:  # the job's time is up, not this engine's fault: stop measuring
            raise
        except Exception as exc:
            loop.error = exc
    chunk = max(1, math.ceil(iterations / ROUNDS))
    while True:
        live = [loop for loop in loops if loop.error is None
                and (len(loop.timings) < iterations or loop.seconds < min_seconds)]
        if not live:
            return
        for loop in live:
            try:
                missing = iterations - len(loop.timings)
                loop.chunk(batch, min(chunk, missing) if missing > 0 else chunk)
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:
                loop.error = exc
        if on_round is not None:
            on_round()
