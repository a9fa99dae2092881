"""Rows with results in them, as a finished job leaves them, for the report tests (built with the ORM, fast; the
worker tests build theirs with real jobs): a trained run with its epochs and model, a measured benchmark, an
evaluated search, and a report built from any of them. Keyword arguments only, the owner always `owner=`."""
import uuid

import numpy as np
from django.utils import timezone

from benchmarks.models import BenchmarkResult, BenchmarkRun, timings_pack
from benchmarks.selection import candidates_from_rows, select
from jobs.models import Job, JobKind, JobState
from reports.models import Report
from reports.services import report_build
from searches.models import Individual, Search
from training.models import TrainingEpoch, TrainingRun

from .rows import dataset_row, job_row, model_row

SHAPES = ["circle", "square", "triangle"]


def shapes_dataset_row(*, owner, name: str = "shapes", **fields):
    """A dataset of 32 images, 64 boxes of three shapes (what the trained runs and searches here train on)."""
    return dataset_row(owner=owner, name=name, class_names=SHAPES, num_images=32, num_instances=64, **fields)


def finished_job_row(*, owner, kind: str = JobKind.TRAINING, state: str = JobState.SUCCEEDED, error: str = "",
                     worker: str = "gpu-abc@test") -> Job:
    """A job a worker ran for 30 s on the gpu queue and ended in `state`."""
    now = timezone.now()
    return job_row(owner=owner, kind=kind, state=state, queue="gpu", error=error, worker=worker,
                   started_at=now - timezone.timedelta(seconds=30), finished_at=now,
                   progress=1.0 if state == JobState.SUCCEEDED else 0.5)


EPOCHS = [  # three epochs whose numbers the tests check one by one
    {"box_loss": 3.1, "cls_loss": 4.2, "dfl_loss": 2.0, "precision": 0.10, "recall": 0.20, "map50": 0.15,
     "map50_95": 0.05, "lr": 0.0100, "seconds": 2.5},
    {"box_loss": 2.6, "cls_loss": 3.4, "dfl_loss": 1.8, "precision": 0.40, "recall": 0.45, "map50": 0.52,
     "map50_95": 0.31, "lr": 0.0070, "seconds": 2.25},
    {"box_loss": 2.2, "cls_loss": 2.9, "dfl_loss": 1.7, "precision": 0.61, "recall": 0.58, "map50": 0.70,
     "map50_95": 0.47, "lr": 0.0040, "seconds": 2.0},
]


def trained_run_row(*, owner, dataset=None, epochs=EPOCHS, state: str = JobState.SUCCEEDED, error: str = "",
                    scale: float = 1.0) -> TrainingRun:
    """A finished run with `epochs` rows (accuracies multiplied by `scale`) and, when it succeeded, its model."""
    dataset = dataset or shapes_dataset_row(owner=owner)
    job = finished_job_row(owner=owner, state=state, error=error)
    run = TrainingRun.objects.create(owner=owner, job=job, dataset=dataset, preset="yolov8n", name="shapes-run",
                                     params={"epochs": 3, "imgsz": 64, "batch": 16, "seed": 0, "patience": 50,
                                             "hyperparameters": {"lr0": 0.01}},
                                     device="cpu", artifacts="")
    rows = []
    for number, values in enumerate(epochs, start=1):
        scaled = {k: (v * scale if k in ("precision", "recall", "map50", "map50_95") else v)
                  for k, v in values.items()}
        rows.append(TrainingEpoch.objects.create(run=run, epoch=number, **scaled))
    if state == JobState.SUCCEEDED and rows:
        last = rows[-1]
        final = {"precision": last.precision, "recall": last.recall, "map50": last.map50, "map50_95": last.map50_95}
        model = model_row(owner=owner, name="shapes-run", dataset=dataset, metrics=final, job=job,
                          hyperparameters={"epochs": 3, "lr0": 0.01})
        TrainingRun.objects.filter(pk=run.pk).update(result_model=model, final_metrics=final)
        run.refresh_from_db()
    return run


def report_row(*, owner, subject_kind, subject_id, baseline_kind="", baseline_id=None, shared=False, build=True):
    """A report row with its job, built synchronously here (no worker) when `build`."""
    job = finished_job_row(owner=owner, kind=JobKind.REPORT, worker="default-abc@test")
    report = Report.objects.create(owner=owner, job=job, subject_kind=subject_kind, subject_id=subject_id,
                                   baseline_kind=baseline_kind, baseline_id=baseline_id, shared=shared)
    if build:
        report_build(report=report)
        report.refresh_from_db()
    return report


ENGINES = [("pytorch-cpu", "fp32", 57.0), ("onnxruntime-cpu", "fp32", 30.0), ("onnxruntime-cpu", "int8", 18.0),
           ("openvino-cpu", "fp32", 24.0), ("openvino-cpu", "bf16", 21.0), ("openvino-cpu", "int8", 12.0),
           ("torchscript-cpu", "fp32", 45.0), ("tensorrt", "fp16", None)]  # None: unavailable on this worker


def measured_benchmark_row(*, owner, model=None, engines=ENGINES, batch_sizes=(1, 4), iterations=200, constraints=None,
                  state=JobState.SUCCEEDED, error=""):
    """A finished benchmark with synthetic timings around each engine's p50 (seeded), and its selection."""
    model = model or model_row(owner=owner, name=f"bench-{uuid.uuid4().hex[:6]}")
    job = finished_job_row(owner=owner, kind=JobKind.BENCHMARK, state=state, error=error)
    constraints = constraints if constraints is not None else {"max_p95_ms": 50.0}
    run = BenchmarkRun.objects.create(owner=owner, job=job, model=model, params={
        "engines": "auto", "imgsz": 64, "batch_sizes": list(batch_sizes), "iterations": iterations,
        "constraints": constraints, "objective": "p95"},
        results={"host": {"host": "bench-host", "cpu_model": "Test CPU", "cpu_count": 2, "memory_total_mb": 8000,
                          "cuda": {"devices": [], "driver": None, "error": "none"}},
                 "libraries": {"torch": "2.14.1", "onnxruntime": "1.31.1", "openvino": "2026.4.1"},
                 "worker": "gpu-bench@test"})
    rng = np.random.default_rng(0)
    rows = []
    for engine, precision, p50 in engines:
        for batch in batch_sizes:
            if p50 is None:
                BenchmarkResult.objects.create(run=run, engine=engine, precision=precision, batch_size=batch,
                                               status="unavailable", reason="TensorRT is not installed on this worker")
                continue
            timings = rng.normal(p50 * batch * 0.8, p50 * batch * 0.05, iterations).clip(0.1)
            values = [float(v) for v in np.percentile(timings, [50, 90, 95, 99])]
            accuracy = 0.663 if precision != "int8" else 0.641
            row = BenchmarkResult.objects.create(
                run=run, engine=engine, precision=precision, batch_size=batch, status="measured", iterations=iterations,
                mean_ms=float(timings.mean()), std_ms=float(timings.std()), min_ms=float(timings.min()),
                p50_ms=values[0], p90_ms=values[1], p95_ms=values[2], p99_ms=values[3], max_ms=float(timings.max()),
                mean_ms_per_image=float(timings.mean()) / batch, p50_ms_per_image=values[0] / batch,
                p95_ms_per_image=values[2] / batch,
                p99_ms_per_image=values[3] / batch, fps=1000 * batch * iterations / float(timings.sum()),
                peak_rss_mb=300.0, cpu_util=180.0, map50=accuracy + 0.2, map50_95=accuracy,
                map_drop=round(0.663 - accuracy, 5), timings=timings_pack(timings), details={"device": "cpu"})
            rows.append({"engine": engine, "precision": precision, "batch_size": batch, "status": "measured",
                         "p50_ms": row.p50_ms, "p95_ms": row.p95_ms, "p99_ms": row.p99_ms, "fps": row.fps,
                         "map50_95": row.map50_95, "map_drop": row.map_drop, "peak_rss_mb": 300.0, "device": "cpu",
                         "source_model": None})
    run.selected = select(candidates=candidates_from_rows(rows), constraints=constraints, objective="p95")
    run.save(update_fields=["selected"])
    return run


def evaluated_search_row(*, owner, objectives=("fitness", "latency"), state=JobState.SUCCEEDED):
    """A two-generation search of 3 individuals each (one pruned, one failed, one elite) and its Pareto front."""
    dataset = shapes_dataset_row(owner=owner)
    job = finished_job_row(owner=owner, kind=JobKind.SEARCH, state=state, worker="default-abc@test")
    search = Search.objects.create(owner=owner, job=job, dataset=dataset, preset="yolov8n", generation=2,
                                   params={"population": 3, "generations": 2, "objectives": list(objectives),
                                           "epochs": 2, "imgsz": 64})
    plan = [  # generation, fitness, latency, state, extra
        (1, 0.20, 30.0, "succeeded", {}), (1, 0.35, 42.0, "succeeded", {}), (1, None, None, "failed",
                                                                             {"error": "CUDA out of memory"}),
        (2, 0.35, 42.0, "succeeded", {"elite": True}), (2, 0.41, 38.0, "succeeded", {}),
        (2, 0.10, None, "pruned", {"pruned": True, "pruned_at_epoch": 1}),
    ]
    made = []
    for number, (generation, fitness, latency, status, extra) in enumerate(plan):
        run = trained_run_row(owner=owner, dataset=dataset) if status == "succeeded" and not extra else None
        made.append(Individual.objects.create(search=search, generation=generation, number=number, trial_id=number + 1,
                                              hyperparameters={"lr0": 0.01 * (number + 1), "mosaic": 0.5},
                                              training_run=run, state=status, fitness=fitness, latency_ms=latency,
                                              **extra))
    best = made[4]
    search.best = best
    search.best_model = best.training_run.result_model
    search.pareto = [made[0].pk, best.pk]
    search.save()
    return search
