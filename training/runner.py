"""The work of one training job, inside a gpu worker child: ultralytics, offline, reporting every epoch.

`training_run_execute(ctx)` is the body of the `training.train` task. It trains in a local scratch folder on the
dataset and start weights from this host's artifact cache, writes a TrainingEpoch row and the job's progress after
each epoch and puts last.pt in the store (training/checkpoints.py), stops at the next batch when cancelled (the
epoch then validates and saves, so last.pt holds what was trained so far), stores the run's outputs under
`training/<run id>/` (results.csv, args.yaml, weights/last.pt, weights/best.pt) and registers best.pt as a new
model version. A re-run after its host died resumes from the stored checkpoint.
"""
import logging
import os
import shutil
import time
from pathlib import Path

from django.db import IntegrityError, connection

from jobs.models import Job
from jobs.runner import JobCancelled, PermanentJobError, soft_limit_hit
from registry.datasets.archive import dataset_local
from registry.model_versions.selectors import model_file_local

from . import devices
from .checkpoints import CheckpointUploader, checkpoint_restore, training_outputs_store, training_scratch_dir
from .models import TrainingEpoch, TrainingRun
from .registration import training_model_register
from .signals import epoch_ended

log = logging.getLogger(__name__)

ARTIFACT_KIND = "training"


class _CancelledAtBoundary(Exception):
    """Raised from a callback once the cancelled epoch has been validated and saved; unwinds ultralytics."""


def _number(value):
    try:
        return None if value is None else round(float(value), 6)
    except (TypeError, ValueError):
        return None


def _pick(values: dict, *fragments: str):
    for key, value in values.items():
        if all(fragment in key for fragment in fragments):
            return _number(value)
    return None


def epoch_metrics(trainer) -> dict:
    """The per-epoch numbers from ultralytics' trainer, under the platform's names."""
    losses = trainer.label_loss_items(trainer.tloss, prefix="train") if trainer.tloss is not None else {}
    metrics = dict(trainer.metrics or {})
    lr = next(iter((trainer.lr or {}).values()), None) if hasattr(trainer, "lr") else None
    return {
        "box_loss": _pick(losses, "box"), "cls_loss": _pick(losses, "cls"), "dfl_loss": _pick(losses, "dfl"),
        "precision": _pick(metrics, "precision"), "recall": _pick(metrics, "recall"),
        "map50": _number(metrics.get("metrics/mAP50(B)")), "map50_95": _number(metrics.get("metrics/mAP50-95(B)")),
        "lr": _number(lr), "seconds": _number(getattr(trainer, "epoch_time", None)),
    }


class EpochReporter:
    """Ultralytics callbacks: a row and a progress update per epoch, cancellation between batches."""

    def __init__(self, *, run: TrainingRun, ctx, epochs: int):
        self.run = run
        self.ctx = ctx
        self.epochs = epochs
        self.epochs_done = 0
        self.loop_finished = False  # ultralytics calls on_fit_epoch_end once more for its final validation
        self.cancelling = False
        self.final_metrics: dict = {}

    def on_train_batch_end(self, trainer):
        self.ctx.raise_if_past_soft_limit()  # the limit's signal may have been swallowed inside ultralytics
        if not self.cancelling and self.ctx.cancel_requested:
            self.cancelling = True
            trainer.stop = True  # ultralytics breaks out of the batch loop, validates and saves last.pt

    def on_fit_epoch_end(self, trainer):
        values = epoch_metrics(trainer)
        if self.loop_finished:  # the final validation of best.pt: the run's final metrics, not an epoch
            self.final_metrics = {k: values[k] for k in ("precision", "recall", "map50", "map50_95")}
            return
        epoch = trainer.epoch + 1
        try:
            TrainingEpoch.objects.update_or_create(run=self.run, epoch=epoch, defaults=values)
        except IntegrityError:  # a concurrent writer for the same (run, epoch) cannot happen; keep training if so
            log.warning("duplicate epoch row %s for run %s", epoch, self.run.pk)
        epoch_ended.send_robust(sender=TrainingRun, run=self.run, epoch=epoch, values=values)  # training/signals.py
        self.epochs_done = epoch
        self.final_metrics = {k: values[k] for k in ("precision", "recall", "map50", "map50_95")}
        self.ctx.partial_result = {"run": self.run.pk, "epochs_completed": epoch, "metrics": self.final_metrics,
                                   "artifacts": self.run.artifacts}
        message = (f"epoch {epoch}/{self.epochs} mAP50 {values['map50'] or 0:.3f} "
                   f"mAP50-95 {values['map50_95'] or 0:.3f} box_loss {values['box_loss'] or 0:.3f}")
        self.ctx.progress(min(epoch / self.epochs, 0.99), message)
        if not self.cancelling and (self.ctx.cancel_requested or
                                    Job.objects.filter(pk=self.ctx.job_id, cancel_requested=True).exists()):
            self.cancelling = True
        if self.cancelling:
            raise _CancelledAtBoundary()
        if trainer.stop:
            self.loop_finished = True


def _start_weights(run: TrainingRun) -> str:
    if run.parent_model_id:
        try:
            return str(model_file_local(run.parent_model).held())
        except FileNotFoundError:
            raise PermanentJobError(f"the start model's weights are missing from storage ({run.parent_model.file})") \
                from None
    return f"{run.preset}.yaml"  # build from the architecture definition: no weight download


def _kept_weights(run_dir: Path) -> Path | None:
    for name in ("last.pt", "best.pt"):
        candidate = run_dir / "weights" / name
        if candidate.is_file():
            return candidate
    return None


def _partial_result(run: TrainingRun, reporter: EpochReporter, run_dir: Path, uploader) -> dict:
    training_outputs_store(run=run, run_dir=run_dir, uploader=uploader)  # what was trained so far is kept
    kept = _kept_weights(run_dir)
    return {"run": run.pk, "epochs_completed": reporter.epochs_done, "metrics": reporter.final_metrics,
            "artifacts": run.artifacts,
            "partial_weights": f"{run.artifacts}/weights/{kept.name}" if kept else None}


def training_run_execute(ctx) -> dict:
    entered = time.monotonic()
    run = TrainingRun.objects.select_related("dataset", "parent_model", "owner").get(job_id=ctx.job_id)
    params = run.params
    devices.prepare_ultralytics_environment()
    device = devices.choose_device()
    run.artifacts = f"{ARTIFACT_KIND}/{run.pk}"
    run.device = devices.device_label(device)
    run.worker_pid = os.getpid()
    run.hosts = [*run.hosts, ctx.job.worker]
    TrainingRun.objects.filter(pk=run.pk).update(artifacts=run.artifacts, device=run.device,
                                                 worker_pid=run.worker_pid, hosts=run.hosts)
    ctx.progress(0.0, f"preparing on {run.device}")
    try:
        data_yaml = dataset_local(run.dataset).held() / "data.yaml"
    except FileNotFoundError:
        raise PermanentJobError(f"dataset {run.dataset_id} has no archive in storage ({run.dataset.archive})") \
            from None
    run_dir = training_scratch_dir(run)
    resume_from = checkpoint_restore(run=run, run_dir=run_dir)

    from ultralytics import YOLO  # deferred: ultralytics
    from ultralytics.data import dataset as dataset_module  # deferred: ultralytics
    from ultralytics.engine import trainer as trainer_module  # deferred: ultralytics

    imported = time.monotonic()
    # AMP's self-check downloads yolo26n.pt; offline it cannot, and AMP on a CUDA device is what we want anyway.
    trainer_module.check_amp = lambda model: True
    dataset_module.save_dataset_cache_file = devices.save_dataset_cache_atomically  # two runs on one dataset

    model = YOLO(str(resume_from) if resume_from else _start_weights(run))
    reporter = EpochReporter(run=run, ctx=ctx, epochs=params["epochs"])
    model.add_callback("on_train_batch_end", reporter.on_train_batch_end)
    model.add_callback("on_fit_epoch_end", reporter.on_fit_epoch_end)
    # After the epoch's row: a checkpoint of epoch k in the store means rows 1..k are in the database.
    uploader = CheckpointUploader(run=run, run_dir=run_dir, reporter=reporter)
    model.add_callback("on_fit_epoch_end", uploader.on_epoch_end)
    loader_workers = devices.dataloader_workers(device)  # > 0 on a GPU: the pool's children may have children
    training_started = time.monotonic()
    try:
        if resume_from:  # the recipe comes from the checkpoint; only where this host keeps things is new
            reporter.epochs_done = run.checkpoint_epoch
            TrainingRun.objects.filter(pk=run.pk).update(resumed_from_epoch=run.checkpoint_epoch)
            ctx.progress(run.checkpoint_epoch / params["epochs"], f"resuming from epoch {run.checkpoint_epoch}")
            model.train(resume=str(resume_from), data=str(data_yaml), device=device, workers=loader_workers,
                        save_dir=str(run_dir))
        else:
            model.train(data=str(data_yaml), epochs=params["epochs"], imgsz=params["imgsz"], batch=params["batch"],
                        seed=params["seed"], patience=params["patience"], device=device,
                        workers=loader_workers, amp=device != "cpu", plots=False, verbose=False,
                        project=str(run_dir.parent), name=run_dir.name, exist_ok=True, val=True,
                        **params.get("hyperparameters", {}))
    except _CancelledAtBoundary:
        raise JobCancelled(_partial_result(run, reporter, run_dir, uploader)) from None
    except Exception as exc:
        if not soft_limit_hit(exc):
            raise
        connection.close()  # the limit may have cut a query short: what follows gets a fresh connection
        ctx.partial_result = _partial_result(run, reporter, run_dir, uploader)
        raise PermanentJobError(f"timeout: the run passed its time limit of {params['time_limit_seconds']} s after "
                                f"{reporter.epochs_done} epoch(s); what was trained so far is kept") from None

    trained = time.monotonic()
    best = Path(model.trainer.best)
    if not best.is_file():
        best = Path(model.trainer.last)
    final_metrics = reporter.final_metrics
    ctx.progress(0.995, "registering the trained model")
    training_outputs_store(run=run, run_dir=run_dir, uploader=uploader)
    version = training_model_register(run=run, weights=best, model=model, metrics=final_metrics)
    TrainingRun.objects.filter(pk=run.pk).update(result_model=version, final_metrics=final_metrics)
    shutil.rmtree(run_dir, ignore_errors=True)  # everything worth keeping is in the store now
    log.info("training run %s on %s: setup %.2f s (imports %.2f s), training %.2f s (checkpoints to the store "
             "%.2f s), registration %.2f s", run.pk, run.device, training_started - entered, imported - entered,
             trained - training_started, uploader.seconds, time.monotonic() - trained)
    return {"run": run.pk, "model": version.pk, "model_name": version.name, "model_version": version.version,
            "epochs_completed": reporter.epochs_done, "metrics": final_metrics, "artifacts": run.artifacts,
            "device": run.device, "dataloader_workers": _loader_workers(model.trainer),
            "dataloader_workers_requested": loader_workers}


def _loader_workers(trainer) -> int | None:
    """The worker processes the training DataLoader really used, read from it (ultralytics caps the request by the
    CPU count and the batch; a pool child that may not fork would show 0 here, not the number asked for)."""
    loader = getattr(trainer, "train_loader", None)
    return getattr(loader, "num_workers", None)
