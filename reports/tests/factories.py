"""Rows for report tests built straight with the ORM (fast); the worker tests build theirs with real jobs."""
import hashlib
import uuid

from django.utils import timezone

from jobs.models import Job, JobKind, JobState
from registry.models import Dataset, ModelVersion
from training.models import TrainingEpoch, TrainingRun


def dataset_for(owner, *, name="shapes", shared=False) -> Dataset:
    key = uuid.uuid4().hex
    version = Dataset.objects.filter(owner=owner, name=name).count() + 1
    return Dataset.objects.create(name=name, version=version, owner=owner, shared=shared,
                                  sha256=hashlib.sha256(key.encode()).hexdigest(), archive="", root=f"datasets/{key}",
                                  class_names=["circle", "square", "triangle"], num_images=32, num_instances=64)


def model_for(owner, *, name="tiny", version=1, dataset=None, parent=None, metrics=None, shared=False,
              job=None) -> ModelVersion:
    return ModelVersion.objects.create(name=name, version=version, owner=owner, shared=shared, format="pytorch",
                                       source="training" if dataset else "upload", input_size=64,
                                       parameters=3_011_433, file=f"models/{uuid.uuid4().hex}.pt", file_size=6_200_000,
                                       sha256=hashlib.sha256(uuid.uuid4().bytes).hexdigest(), dataset=dataset,
                                       parent=parent, metrics=metrics or {}, job=job,
                                       hyperparameters={"epochs": 3, "lr0": 0.01} if dataset else {})


def job_for(owner, *, kind=JobKind.TRAINING, state=JobState.SUCCEEDED, error="", worker="gpu-abc@test") -> Job:
    now = timezone.now()
    return Job.objects.create(kind=kind, owner=owner, queue="gpu", state=state, error=error, worker=worker,
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


def training_run_for(owner, *, dataset=None, epochs=EPOCHS, state=JobState.SUCCEEDED, error="",
                     scale: float = 1.0) -> TrainingRun:
    """A finished run with `epochs` rows (accuracies multiplied by `scale`) and, when it succeeded, its model."""
    dataset = dataset or dataset_for(owner)
    job = job_for(owner, state=state, error=error)
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
        model = model_for(owner, name="shapes-run", version=TrainingRun.objects.filter(owner=owner).count(),
                          dataset=dataset, metrics=final, job=job)
        TrainingRun.objects.filter(pk=run.pk).update(result_model=model, final_metrics=final)
        run.refresh_from_db()
    return run


def report_for(owner, *, subject_kind, subject_id, baseline_kind="", baseline_id=None, shared=False, build=True):
    """A report row with its job, built synchronously here (no worker) when `build`."""
    from reports.models import Report
    from reports.services import report_build

    job = job_for(owner, kind=JobKind.REPORT, worker="default-abc@test")
    report = Report.objects.create(owner=owner, job=job, subject_kind=subject_kind, subject_id=subject_id,
                                   baseline_kind=baseline_kind, baseline_id=baseline_id, shared=shared)
    if build:
        report_build(report=report)
        report.refresh_from_db()
    return report
