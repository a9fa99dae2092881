"""Each benchmark variant's engine loaded on its model version, then timed at every batch size (interleaved with
the others) and scored for mAP: the rows of a run. The job around it (sources, selection, apply) is runner.py.
"""
import time
from dataclasses import dataclass, field

import numpy as np
import psutil
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from core.hardware import gpu_present
from inference.engines import ENGINES
from registry.model_versions.selectors import model_file_local

from .accuracy import engine_map
from .measure import Loop, interleaved_loops, timing_stats, timings_sample
from .models import ResultStatus, timings_pack
from .sources import SourceFailed, SourceUnavailable
from .variants import SOURCES_FROM


@dataclass
class _Loaded:
    variant: object
    engine: object
    version: object
    precision: str
    load_s: float
    rss_load_mb: float
    described: dict
    accuracy: dict = field(default_factory=dict)


def load_variant(state, variant, available: dict) -> _Loaded | None:
    """The variant's engine loaded on its version, or None after writing its unavailable/failed row."""
    params, model = state.params, state.run.model
    first_batch = params["batch_sizes"][0]
    info = available.get(variant.engine) or {"available": False, "reason": "unknown engine"}
    if not info["available"]:
        state.row(variant, first_batch, ResultStatus.UNAVAILABLE, info["reason"] or "unavailable")
        return None
    if model.format not in SOURCES_FROM[variant.source]:
        state.row(variant, first_batch, ResultStatus.UNAVAILABLE,
                  f"{variant.name} cannot run a {model.format} model (needs {variant.source})")
        return None
    try:
        version = state.source_for(variant)
    except SourceFailed as exc:
        status = ResultStatus.UNAVAILABLE if isinstance(exc, SourceUnavailable) else ResultStatus.FAILED
        state.row(variant, first_batch, status, str(exc))
        return None
    state.progress(f"loading {variant.name}")
    process = psutil.Process()
    rss_before, started = process.memory_info().rss, time.perf_counter()
    try:
        engine = ENGINES[variant.engine]().load(model_file_local(version).held())
        if getattr(engine, "graphs", False):  # the CUDA-graph engine: capture the configured buckets up front
            engine.warmup(params["imgsz"], batch_sizes=params["batch_sizes"])
    except SoftTimeLimitExceeded:  # the job's time is up: not a failed engine
        raise
    except Exception as exc:
        state.row(variant, first_batch, ResultStatus.FAILED, f"load failed: {type(exc).__name__}: {exc}",
                  source_model=version)
        return None
    load_s = round(time.perf_counter() - started, 3)
    described = engine.describe()
    precision = variant.precision or described.get("precision") or "fp32"
    if engine.fixed_imgsz and engine.fixed_imgsz != params["imgsz"]:
        state.row(variant, first_batch, ResultStatus.FAILED, f"the {version.format} file has a fixed input size "
                  f"{engine.fixed_imgsz}; benchmark it at imgsz {engine.fixed_imgsz}", precision=precision,
                  source_model=version)
        return None
    return _Loaded(variant, engine, version, precision, load_s,
                   round((process.memory_info().rss - rss_before) / 2**20, 1), described)


def measure(state, loaded: list[_Loaded], base_rss_mb: float) -> None:
    """Every loaded engine at every batch size, interleaved; then each engine's mAP (one at a time)."""
    params, imgsz = state.params, state.params["imgsz"]
    on_gpu = gpu_present()[0]
    for index, batch_size in enumerate(params["batch_sizes"]):
        state.fraction = 0.5 + 0.4 * index / len(params["batch_sizes"])
        labels = ", ".join(f"{item.variant.name} ({item.precision})" for item in loaded)
        state.progress(f"measuring batch {batch_size}, interleaved: {labels}")
        state.note_concurrent(f"batch {batch_size}")
        loops = [Loop(key=item, engine=item.engine,
                      gpu_index=0 if item.engine.device in ("cuda", "gpu") and on_gpu else None) for item in loaded]
        counted = {id(item): item.engine.counters() for item in loaded}  # the graph engine: replays vs eager
        interleaved_loops(loops=loops, batch=state.batch(batch_size, imgsz), warmup=params["warmup"],
                          iterations=params["iterations"], min_seconds=params["min_seconds"],
                          on_round=state.ctx.checkpoint)
        state.note_concurrent(f"batch {batch_size}")
        for loop in loops:
            item = loop.key
            if loop.error is not None:
                state.row(item.variant, batch_size, ResultStatus.FAILED,
                          f"{type(loop.error).__name__}: {loop.error}", precision=item.precision,
                          source_model=item.version, load_s=item.load_s)
                continue
            resources = loop.resources()
            state.row(item.variant, batch_size, ResultStatus.MEASURED, precision=item.precision,
                      source_model=item.version, load_s=item.load_s, cold_ms=loop.cold_ms,
                      timings=timings_pack(timings_sample(loop.timings, limit=settings.BENCHMARK_MAX_STORED_TIMINGS)),
                      peak_rss_mb=round(base_rss_mb + item.rss_load_mb + resources["rss_growth_mb"], 1),
                      details={"engine": item.described, "device": item.engine.device, "variant": item.variant.name,
                               "timings_stored": min(len(loop.timings), settings.BENCHMARK_MAX_STORED_TIMINGS),
                               "rss_load_mb": item.rss_load_mb, "rss_growth_mb": resources["rss_growth_mb"],
                               "gpu_error": resources["gpu_error"],
                               **_counted_since(counted[id(item)], item.engine.counters())},
                      **timing_stats(np.asarray(loop.timings), batch_size=batch_size),
                      **{k: resources[k] for k in ("gpu_mem_peak_mb", "gpu_util_mean", "gpu_util_max", "cpu_util")})
    if state.samples:
        for item in loaded:
            measured = state.run.result_rows.filter(engine=item.variant.engine, precision=item.precision,
                                                    status=ResultStatus.MEASURED)
            if not measured.exists():  # its timed loop failed at every batch size: nothing to score
                continue
            state.progress(f"scoring mAP of {item.variant.name} ({item.precision}) on {len(state.samples)} images")
            state.ctx.checkpoint()
            try:
                item.accuracy = engine_map(engine=item.engine, samples=state.samples, imgsz=imgsz)
                val = _as_val_reports(item.engine, state.samples, imgsz, square=item.accuracy)
            except SoftTimeLimitExceeded:  # the job's time is up: not this engine's failure
                raise
            except Exception as exc:  # one engine failing to score (out of memory, a provider error) is its row's
                for row in measured:
                    row.details = {**row.details, "accuracy_error": f"{type(exc).__name__}: {exc}"}
                    row.save(update_fields=["details"])
                continue
            measured.update(map50=item.accuracy.get("map50"), map50_95=item.accuracy.get("map50_95"))
            for row in measured:  # both figures, each saying how it was letterboxed
                row.details = {**row.details, "accuracy_protocol": item.accuracy["protocol"], "accuracy_val": val}
                row.save(update_fields=["details"])


def _as_val_reports(engine, samples, imgsz: int, *, square: dict) -> dict:
    """The mAP ultralytics' `val` reports for this engine (the number a training run shows): its rectangular
    canvases for an engine that takes any input size; a fixed-size model is run square by val too, so it is the
    square figure. The row's map50/map50_95 stay the square ones, the same pipeline for every engine."""
    if engine.fixed_imgsz is not None or engine.input_shape[2:] != (None, None):
        return {"map50": square["map50"], "map50_95": square["map50_95"],
                "protocol": "ultralytics val runs a fixed-size model square: the same as map50_95"}
    found = engine_map(engine=engine, samples=samples, imgsz=imgsz, protocol="val")
    return {key: found[key] for key in ("map50", "map50_95", "protocol")}


def _counted_since(before: dict, after: dict) -> dict:
    """How this batch size's calls ran (warm-up and timed loop): e.g. {"graph_replays": 120, "eager_calls": 0}."""
    return {key: value - before.get(key, 0) for key, value in after.items()}
