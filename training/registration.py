"""Registers a training run's best weights as a new PyTorch model version with its lineage.

Runs in the gpu worker on the weights it just wrote (never an upload in the web process). The version
number is the next one for (owner, name), assigned by the registry's `model_version_register`.
"""
from pathlib import Path

from registry.model_versions.services import model_version_register
from registry.models import ModelFormat, ModelSource, ModelVersion

from .models import TrainingRun


def training_model_name(run: TrainingRun) -> str:
    if run.name:
        return run.name
    start = run.parent_model.name if run.parent_model_id else run.preset
    return f"{start}-{run.dataset.name}"[:150]


def _describe(model) -> tuple[int | None, list[str]]:
    """Parameter count and class names of the trained ultralytics model (after `train()` it holds the best weights,
    so they need not be loaded from disk a second time)."""
    try:
        parameters = sum(p.numel() for p in model.model.parameters())
        names = model.names
        class_names = [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names or [])
        return int(parameters), class_names
    except Exception:  # the registration must not fail on a description detail
        return None, []


def training_model_register(*, run: TrainingRun, weights: Path, model, metrics: dict) -> ModelVersion:
    """`weights`: the file to register; `model`: the ultralytics model that was trained (described in memory)."""
    parameters, class_names = _describe(model)
    lineage = {"training_run": run.pk, "start": run.preset or f"model {run.parent_model_id}",
               "preset": run.preset or None, "epochs": run.params.get("epochs"), "batch": run.params.get("batch"),
               "seed": run.params.get("seed"), "device": run.device, "artifacts": run.artifacts}
    hyperparameters = {**run.params.get("hyperparameters", {}),
                       **{k: run.params.get(k) for k in ("epochs", "imgsz", "batch", "seed", "patience")}}
    return model_version_register(
        owner=run.owner, name=training_model_name(run), format=ModelFormat.PYTORCH, source=ModelSource.TRAINING,
        path=weights, class_names=class_names or run.dataset.class_names, input_size=run.params.get("imgsz"),
        parameters=parameters, metadata=lineage, parent=run.parent_model, dataset=run.dataset, job=run.job,
        hyperparameters=hyperparameters, metrics=metrics)
