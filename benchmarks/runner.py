"""The body of a benchmark job on a gpu worker: wait for the other slot, resolve each variant's model version
(converting and quantizing on the way), measure every engine x batch size, score accuracy, select, apply.

An engine this worker cannot run is an `unavailable` row with the reason; a conversion or load that fails is a
`failed` row with the error; neither fails the run. Exclusivity (`exclusive: true`, the default): before measuring,
the job waits (bounded by BENCHMARK_EXCLUSIVE_WAIT_SECONDS) until no other job runs on this worker's other gpu
slot; whatever else did run during each timed loop is recorded on the run either way. Every engine is loaded first
and the timed loops are interleaved (measure.py), so all engines see the same background load.
"""
import gc
import time

import numpy as np
import psutil
from django.conf import settings

from core.hardware import host_info, library_versions
from inference.engines import engines_available
from jobs.models import Job, JobState
from registry.datasets.archive import dataset_local

from . import selection
from .accuracy import validation_samples
from .engine_runs import load_variant, measure
from .models import BenchmarkResult, BenchmarkRun, ResultStatus
from .sources import SourceFailed, SourceUnavailable, convert_inline, int8_version
from .variants import variants_for

BASELINE_ORDER = (("pytorch-cpu", "fp32"), ("pytorch-cuda", "fp32"), ("onnxruntime-cpu", "fp32"))


def _others_running(*, job_id: int, worker: str) -> list[dict]:
    if not worker:
        return []
    return list(Job.objects.filter(state=JobState.RUNNING, queue__startswith="gpu", worker=worker)  # gpu.host.*
                .exclude(pk=job_id).values("id", "kind"))


def _wait_exclusive(*, ctx, worker: str, progress) -> dict:
    limit = settings.BENCHMARK_EXCLUSIVE_WAIT_SECONDS
    started = time.monotonic()
    others = waited_for = _others_running(job_id=ctx.job_id, worker=worker)
    while others and time.monotonic() - started < limit:
        names = ", ".join(f"job {o['id']} ({o['kind']})" for o in others)
        progress(f"waiting for {names} on the other gpu slot to finish (exclusive benchmark, "
                 f"{time.monotonic() - started:.0f}/{limit} s)")
        ctx.checkpoint()
        time.sleep(1.0)
        others = _others_running(job_id=ctx.job_id, worker=worker)
    return {"waited_s": round(time.monotonic() - started, 1), "timed_out": bool(others), "waited_for": waited_for,
            "still_running": others}


class _Run:
    """One benchmark's state while it runs (the ORM rows are written as each variant finishes)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.run = BenchmarkRun.objects.select_related("model", "dataset", "owner").get(job_id=ctx.job_id)
        self.params = self.run.params
        self.worker = ctx.job.worker or ""
        self.fraction = 0.0
        self.concurrent: dict[int, dict] = {}
        self.sources: dict[str, object] = {}
        self.samples = None
        if self.run.dataset_id:
            self.samples = validation_samples(dataset_root=dataset_local(self.run.dataset).held(),
                                              limit=settings.BENCHMARK_MAX_VAL_IMAGES)

    def progress(self, message: str) -> None:
        self.ctx.progress(min(self.fraction, 0.99), message)

    def row(self, variant, batch_size: int, status: str, reason: str = "", **fields) -> BenchmarkResult:
        precision = fields.pop("precision", None) or variant.precision
        return BenchmarkResult.objects.update_or_create(
            run=self.run, engine=variant.engine, precision=precision, batch_size=batch_size,
            defaults={"status": status, "reason": reason[:2000], **fields})[0]

    def source_for(self, variant):
        """The ModelVersion this variant runs (cached per source kind); SourceFailed says why there is none."""
        kind = variant.source
        if kind in self.sources:
            cached = self.sources[kind]
            if isinstance(cached, Exception):
                raise cached
            return cached
        try:
            self.sources[kind] = self._resolve(kind)
        except SourceFailed as exc:
            self.sources[kind] = exc
            raise
        return self.sources[kind]

    def _resolve(self, kind: str):
        model, imgsz = self.run.model, self.params["imgsz"]
        if kind == "pytorch" or model.format == kind:
            return model
        if kind in ("onnx", "tensorrt"):  # the registry's TensorRT build reuses an ONNX conversion of a .pt itself
            return convert_inline(source=model, target=kind, imgsz=imgsz, ctx=self.ctx, progress=self.progress,
                                  worker=self.worker)
        if kind == "onnx-int8":
            if self.run.dataset is None:
                raise SourceUnavailable("INT8 needs a dataset to calibrate on (give `dataset`)")
            return int8_version(onnx=self.source_for_kind("onnx"), dataset=self.run.dataset, imgsz=imgsz,
                                job=self.ctx.job, progress=self.progress)
        raise SourceFailed(f"unknown source kind {kind!r}")

    def source_for_kind(self, kind: str):
        from .variants import Variant

        return self.source_for(Variant(kind, "", "", kind))

    def note_concurrent(self, label: str) -> None:
        for other in _others_running(job_id=self.ctx.job_id, worker=self.worker):
            entry = self.concurrent.setdefault(other["id"], {**other, "during": []})
            if label not in entry["during"]:
                entry["during"].append(label)

    def batch(self, batch_size: int, imgsz: int) -> np.ndarray:
        """Real images when there is a dataset (data-dependent kernels), else seeded noise."""
        from inference.processing import preprocess

        if self.samples:
            import cv2

            images = [cv2.imread(str(self.samples[i % len(self.samples)][0])) for i in range(batch_size)]
            return preprocess(images, imgsz)
        return np.random.default_rng(0).random((batch_size, 3, imgsz, imgsz), dtype=np.float32)


def _baseline(run: BenchmarkRun) -> dict | None:
    rows = run.result_rows.filter(status=ResultStatus.MEASURED, map50_95__isnull=False)
    for engine, precision in BASELINE_ORDER:
        row = rows.filter(engine=engine, precision=precision).order_by("batch_size").first()
        if row is not None:
            return {"engine": engine, "precision": precision, "map50": row.map50, "map50_95": row.map50_95}
    return None


def _calibration_record(int8) -> dict | None:
    """Which images the INT8 version measured here was calibrated on (never the ones its accuracy is scored on)."""
    metadata = getattr(int8, "metadata", None) or {}
    return {"model": int8.pk, **{k: metadata.get(k) for k in ("calibration_dataset", "calibration_split",
                                                             "calibration_files", "calibration_excluded_as_measured")}
            } if metadata.get("quantization") == "int8" else None


def _row_dict(row: BenchmarkResult) -> dict:
    return {"engine": row.engine, "precision": row.precision, "batch_size": row.batch_size, "status": row.status,
            "source_model": row.source_model_id, "p50_ms": row.p50_ms, "p95_ms": row.p95_ms, "p99_ms": row.p99_ms,
            "fps": row.fps, "map50_95": row.map50_95, "map_drop": row.map_drop, "peak_rss_mb": row.peak_rss_mb,
            "gpu_mem_peak_mb": row.gpu_mem_peak_mb, "device": (row.details or {}).get("device")}


def benchmark_run_execute(ctx) -> dict:
    from .services import benchmark_selection_apply

    state = _Run(ctx)
    run, params = state.run, state.params
    variants = variants_for(params["engines"])
    exclusive = {"requested": params["exclusive"]}
    if params["exclusive"]:
        exclusive.update(_wait_exclusive(ctx=ctx, worker=state.worker, progress=state.progress))
    available = engines_available()
    run.results = {"host": host_info(), "libraries": library_versions(), "worker": state.worker,
                   "exclusive": exclusive, "engines_available": available}
    run.save(update_fields=["results", "updated_at"])
    base_rss_mb = psutil.Process().memory_info().rss / 2**20  # before any engine: what a lone engine adds to
    loaded = []
    for index, variant in enumerate(variants):
        state.fraction = 0.5 * index / max(1, len(variants))
        ctx.checkpoint()
        item = load_variant(state, variant, available)
        if item is not None:
            loaded.append(item)
    measure(state, loaded, base_rss_mb)
    del loaded
    gc.collect()
    baseline = _baseline(run)
    if baseline is not None:
        for row in run.result_rows.filter(map50_95__isnull=False):
            row.map_drop = round(baseline["map50_95"] - row.map50_95, 5)
            row.save(update_fields=["map_drop"])
    rows = [_row_dict(row) for row in run.result_rows.all()]
    constraints, dropped = selection.selection_constraints(params, baseline=baseline)
    selected = selection.select(candidates=selection.candidates_from_rows(rows), constraints=constraints,
                                objective=params["objective"])
    run.results = {**run.results, "baseline": baseline, "concurrent_jobs": list(state.concurrent.values()),
                   "validation_images": len(state.samples or []),
                   "validation_instances": sum(len(labels) for _, labels in state.samples or []),
                   "int8_calibration": _calibration_record(state.sources.get("onnx-int8")),
                   "defaults_dropped": [f"{name}: no FP32 baseline (pytorch or onnxruntime) was measured to take "
                                        "the drop from" for name in dropped]}
    run.selected = selected
    run.save(update_fields=["results", "selected", "updated_at"])
    if params["apply"] and selected["engine"]:
        benchmark_selection_apply(run=run)
    counts = {status: sum(1 for r in rows if r["status"] == status) for status in ResultStatus.values}
    return {"benchmark_id": run.pk, "rows": counts, "selected": selected["engine"],
            "precision": selected["precision"], "reason": selected["reason"], "applied": bool(run.applied)}
