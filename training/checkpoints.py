"""A training's files in the artifact store, so the run survives its host: the checkpoint after each epoch, the
run's outputs at the end, and the checkpoint fetched back when the job runs again on another host.

The run trains in a local scratch folder (SCRATCH_ROOT/training-<id>); `training/<id>/weights/last.pt` in the store
is replaced after an epoch ends (ultralytics' last.pt: weights, EMA, optimizer state and the epoch), at most every
TRAINING_CHECKPOINT_SECONDS, and `TrainingRun.checkpoint_epoch` is set only once the upload is complete, so the
row never names a checkpoint the store does not have. A re-run (jobs/rerun.jobs_reap_lost: the host died)
fetches it and resumes with ultralytics' `resume` from that epoch (training/runner.py).
"""
import logging
import shutil
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

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
    """An ultralytics `on_fit_epoch_end` callback, after the EpochReporter's: last.pt (saved just before) and best.pt
    to the store, once the epoch's row is written.

    The upload runs in a thread while the next epoch trains (through S3 it takes seconds that training would
    otherwise wait for); the files are first copied aside, as ultralytics rewrites them at the next epoch's end.
    One upload at a time: an epoch that ends while the previous upload is still going is not uploaded, the next
    one is (so checkpoints are as frequent as the store allows, or TRAINING_CHECKPOINT_SECONDS says)."""

    def __init__(self, *, run: TrainingRun, run_dir: Path, reporter):
        self.run, self.run_dir = run, run_dir
        self.reporter = reporter  # its epochs_done: the epoch whose row is written (ultralytics' own count is not)
        self.started_at: float | None = None
        self.epoch = 0  # the latest epoch handed to an upload
        self.best_stamp = None
        self.seconds = 0.0  # time the uploads took (in their thread), for the log and the benchmark
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def on_epoch_end(self, trainer):
        now = time.monotonic()
        epoch = self.reporter.epochs_done
        if epoch == self.epoch or (self.thread is not None and self.thread.is_alive()) or (
                self.started_at is not None and now - self.started_at < settings.TRAINING_CHECKPOINT_SECONDS):
            return  # already stored (ultralytics' final validation ends the fit once more), busy, or too soon
        last, best = self.run_dir / CHECKPOINT, self.run_dir / BEST
        if not last.is_file():
            return
        snapshot = self.run_dir / "checkpoint-upload"
        shutil.rmtree(snapshot, ignore_errors=True)
        snapshot.mkdir()
        files = [(shutil.copyfile(last, snapshot / "last.pt"), CHECKPOINT)]
        if best.is_file() and (stamp := best.stat().st_mtime_ns) != self.best_stamp:
            files.insert(0, (shutil.copyfile(best, snapshot / "best.pt"), BEST))  # best first: it never runs ahead
            self.best_stamp = stamp
        self.epoch, self.started_at = epoch, now
        self.thread = threading.Thread(target=self._upload, args=(files, self.epoch), daemon=True,
                                       name=f"checkpoint-{self.run.pk}")
        self.thread.start()

    def _upload(self, files, epoch: int) -> None:
        started = time.monotonic()
        try:
            for path, relative in files:
                artifact_put(path=Path(path), name=f"{self.run.artifacts}/{relative}")
            TrainingRun.objects.filter(pk=self.run.pk, checkpoint_epoch__lt=epoch).update(checkpoint_epoch=epoch)
        except BaseException as exc:  # the run goes on; the next epoch's checkpoint tries again
            self.error = exc
            log.warning("checkpoint of epoch %s for run %s not stored: %r", epoch, self.run.pk, exc)
        finally:
            self.seconds += time.monotonic() - started
            connection.close()

    def finish(self) -> None:
        """Wait for an upload in flight (before the outputs go to the store, or the job ends)."""
        if self.thread is not None:
            self.thread.join()


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


def training_outputs_store(*, run: TrainingRun, run_dir: Path, uploader: CheckpointUploader | None = None) -> None:
    """The run's outputs into the store (results.csv, args.yaml, weights); what is missing is skipped."""
    if uploader is not None:
        uploader.finish()  # its older checkpoint must not land after the final files
    for relative in OUTPUTS:
        path = run_dir / relative
        if path.is_file():
            artifact_put(path=path, name=f"{run.artifacts}/{relative}")
