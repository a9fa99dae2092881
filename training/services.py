"""Writes for training: start a run (a TrainingRun and its gpu-queue Job, in one transaction), delete a finished
one, save its curves."""

from core.errors import Invalid
from core.storage import artifact_delete, artifact_put_bytes
from hosts.routing import target_queue
from jobs.deletion import job_subject_delete
from jobs.models import JobKind
from jobs.services import job_subject_start
from registry.models import Dataset, ModelFormat, ModelVersion

from .curves import CURVES_FILE, curves_png, curves_title
from .models import TrainingRun

TASK_NAME = "training.train"  # routed to the gpu queue by CELERY_TASK_ROUTES["training.*"]
HARD_LIMIT_GRACE_SECONDS = 60  # after the soft limit, time to record the failure before Celery kills the child


def training_run_start(*, owner, dataset: Dataset, parent_model: ModelVersion | None, preset: str | None,
                       name: str = "", epochs: int, imgsz: int, batch: int, seed: int, patience: int,
                       time_limit_seconds: int, hyperparameters: dict, target: dict | None = None) -> TrainingRun:
    """Create the run and queue its job; the task is sent once both rows are committed. With a `target` the job goes
    to the queue of a live host that matches it (hosts/routing.py; a 400 naming the target when none does), and its
    params record the target and the host chosen (`routed_to`)."""
    if parent_model is not None and parent_model.format != ModelFormat.PYTORCH:
        raise Invalid(errors={"model": [f"model {parent_model.pk} is {parent_model.format}; training needs a "
                                        "PyTorch (.pt) model"]})
    if (parent_model is None) == (not preset):
        raise Invalid(errors={"model": ["give exactly one of `model` or `preset`"]})
    params = {"epochs": epochs, "imgsz": imgsz, "batch": batch, "seed": seed, "patience": patience,
              "time_limit_seconds": time_limit_seconds, "hyperparameters": dict(hyperparameters)}
    queue, host = target_queue(target=target)
    routing = {"target": dict(target), "routed_to": host} if host else {}
    return job_subject_start(
        TrainingRun, owner=owner, kind=JobKind.TRAINING, task_name=TASK_NAME, queue=queue,
        job_params={**params, "dataset": dataset.pk, "model": parent_model.pk if parent_model else None,
                    "preset": preset or "", **routing},
        soft_time_limit=time_limit_seconds, time_limit=time_limit_seconds + HARD_LIMIT_GRACE_SECONDS,
        dataset=dataset, parent_model=parent_model, preset=preset or "", name=name, params=params)


def training_run_delete(*, user, run: TrainingRun) -> None:
    """Delete a finished run, its job, epochs and artifacts; the model version it produced stays (its lineage keeps
    the dataset and parent). The owner or an admin; 409 while it is queued or running, or naming the rows that
    use it (their PROTECT foreign keys)."""
    artifacts = run.artifacts  # the run and its epochs go with its job (one-to-one, CASCADE)
    job_subject_delete(run, user=user, after_commit=lambda: artifact_delete(artifacts))


def training_curves_save(*, run: TrainingRun) -> str | None:
    """Draw the run's curves into its artifacts (stored as `training/<id>/curves.png`, replaced atomically); the
    storage name, or None without an artifacts folder (the run never started)."""
    if not run.artifacts:
        return None
    name = f"{run.artifacts}/{CURVES_FILE}"
    artifact_put_bytes(name=name, data=curves_png(epochs=list(run.epochs.order_by("epoch")), title=curves_title(run)))
    return name
