"""Step: every loaded engine timed at every batch size, the engines interleaved (measure.py) so that all of them see
the same background load; a timed loop that fails is that batch size's `failed` row, the others are `measured`."""
import numpy as np
from django.conf import settings

from core.hardware import gpu_present

from ..measure import Loop, interleaved_loops, timing_stats, timings_sample
from ..models import ResultStatus, timings_pack


def engines_time(state) -> None:
    params, loaded = state.params, state.loaded
    on_gpu = gpu_present()[0]
    for index, batch_size in enumerate(params["batch_sizes"]):
        state.advance(index, len(params["batch_sizes"]))
        labels = ", ".join(f"{item.variant.name} ({item.precision})" for item in loaded)
        state.progress(f"measuring batch {batch_size}, interleaved: {labels}")
        state.note_concurrent(f"batch {batch_size}")
        loops = [Loop(key=item, engine=item.engine,
                      gpu_index=0 if item.engine.device in ("cuda", "gpu") and on_gpu else None) for item in loaded]
        counted = {id(item): item.engine.counters() for item in loaded}  # the graph engine: replays vs eager
        interleaved_loops(loops=loops, batch=state.batch(batch_size, params["imgsz"]), warmup=params["warmup"],
                          iterations=params["iterations"], min_seconds=params["min_seconds"],
                          on_round=state.ctx.checkpoint)
        state.note_concurrent(f"batch {batch_size}")
        for loop in loops:
            _row_write(state, loop, batch_size, counted[id(loop.key)])


def _row_write(state, loop: Loop, batch_size: int, counted: dict) -> None:
    item = loop.key
    if loop.error is not None:
        state.row(item.variant, batch_size, ResultStatus.FAILED, f"{type(loop.error).__name__}: {loop.error}",
                  precision=item.precision, source_model=item.version, load_s=item.load_s)
        return
    resources = loop.resources()
    state.row(item.variant, batch_size, ResultStatus.MEASURED, precision=item.precision,
              source_model=item.version, load_s=item.load_s, cold_ms=loop.cold_ms,
              timings=timings_pack(timings_sample(loop.timings, limit=settings.BENCHMARK_MAX_STORED_TIMINGS)),
              peak_rss_mb=round(state.base_rss_mb + item.rss_load_mb + resources["rss_growth_mb"], 1),
              details={"engine": item.described, "device": item.engine.device, "variant": item.variant.name,
                       "timings_stored": min(len(loop.timings), settings.BENCHMARK_MAX_STORED_TIMINGS),
                       "rss_load_mb": item.rss_load_mb, "rss_growth_mb": resources["rss_growth_mb"],
                       "gpu_error": resources["gpu_error"], **_counted_since(counted, item.engine.counters())},
              **timing_stats(np.asarray(loop.timings), batch_size=batch_size),
              **{k: resources[k] for k in ("gpu_mem_peak_mb", "gpu_util_mean", "gpu_util_max", "cpu_util")})


def _counted_since(before: dict, after: dict) -> dict:
    """How this batch size's calls ran (warm-up and timed loop): e.g. {"graph_replays": 120, "eager_calls": 0}."""
    return {key: value - before.get(key, 0) for key, value in after.items()}
