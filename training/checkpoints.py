"""A training's files in the artifact store, so the run survives its host: the checkpoint after each epoch, the
run's outputs at the end, and the checkpoint fetched back when the job runs again on another host.

The run trains in a local scratch folder (SCRATCH_ROOT/training-<id>); `training/<id>/weights/last.pt` in the store
is replaced after an epoch ends (ultralytics' last.pt: weights, EMA, optimizer state and the epoch), at most every
TRAINING_CHECKPOINT_SECONDS, and `TrainingRun.checkpoint_epoch` is set only once the upload is complete, so the
row never names a checkpoint the store does not have. A re-run (jobs/lifecycle.jobs_reap_lost: the host died)
fetches it and resumes with ultralytics' `resume` from that epoch (training/runner.py).
"""
import logging
import shutil
import time
from pathlib import Path

from django.conf import settings

from core.storage import artifact_exists, artifact_fetch, artifact_put

from .models import TrainingRun

log = logging.getLogger(__name__)

CHECKPOINT = "weights/last.pt"
BEST = "weights/best.pt"  # kept with the checkpoint: a resumed run that never beats it still registers the best
OUTPUTS = ("results.csv", "args.yaml", "weights/best.pt", "weights/last.pt")


def training_scratch_dir(run: TrainingRun) -> Path:
    """Where this host trains the run; emptied first, so a re-run on the same host starts clean."""
    folder = Path(settings.SCRATCH_ROOT) / f"training-{run.pk}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


class CheckpointUploader:
    """An ultralytics `on_fit_epoch_end` callback, after the EpochReporter's: last.pt (saved just before) to the
    store, once the epoch's row is written."""

    def __init__(self, *, run: TrainingRun, run_dir: Path):
        self.run, self.run_dir = run, run_dir
        self.uploaded_at: float | None = None
        self.epoch = 0  # the epoch of the stored checkpoint
        self.best_stamp = None
        self.seconds = 0.0  # time spent uploading, for the log and the benchmark

    def on_epoch_end(self, trainer):
        now = time.monotonic()
        if trainer.epoch + 1 == self.epoch or (self.uploaded_at is not None
                                               and now - self.uploaded_at < settings.TRAINING_CHECKPOINT_SECONDS):
            return  # this epoch is stored already (ultralytics' final validation ends the fit once more), or too soon
        last = self.run_dir / CHECKPOINT
        if not last.is_file():
            return
        best = self.run_dir / BEST
        if best.is_file() and (stamp := best.stat().st_mtime_ns) != self.best_stamp:
            artifact_put(path=best, name=f"{self.run.artifacts}/{BEST}")
            self.best_stamp = stamp
        artifact_put(path=last, name=f"{self.run.artifacts}/{CHECKPOINT}")
        self.epoch = trainer.epoch + 1
        TrainingRun.objects.filter(pk=self.run.pk).update(checkpoint_epoch=self.epoch)
        self.uploaded_at = time.monotonic()
        self.seconds += self.uploaded_at - now


def checkpoint_restore(*, run: TrainingRun, run_dir: Path) -> Path | None:
    """The stored checkpoint of an earlier attempt, copied into `run_dir`; None when there is none to resume
    (never got past its first epoch, or already at its last epoch: ultralytics then has nothing to resume)."""
    name = f"{run.artifacts}/{CHECKPOINT}"
    if not run.checkpoint_epoch or run.checkpoint_epoch >= run.params["epochs"] or not artifact_exists(name):
        return None
    target = run_dir / CHECKPOINT
    artifact_fetch(name=name, target=target)
    if artifact_exists(f"{run.artifacts}/{BEST}"):
        artifact_fetch(name=f"{run.artifacts}/{BEST}", target=run_dir / BEST)
    return target


def training_outputs_store(*, run: TrainingRun, run_dir: Path) -> None:
    """The run's outputs into the store (results.csv, args.yaml, weights); what is missing is skipped."""
    for relative in OUTPUTS:
        path = run_dir / relative
        if path.is_file():
            artifact_put(path=path, name=f"{run.artifacts}/{relative}")
