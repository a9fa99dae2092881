"""The training-run collector: one row per epoch, the final metrics, curves, and the run's lineage."""
from training.models import TrainingRun
from training.selectors import training_run_get

from ..deltas import map_resolution
from .common import (HIGHER, LOWER, dataset_facts, finding, iso, jobs_facts, metric, model_chain, model_facts,
                     number, plot, state_finding, table)
from .origin import search_of

KIND = "training_run"
LABEL = "training run"
EPOCH_COLUMNS = ["epoch", "box_loss", "cls_loss", "dfl_loss", "precision", "recall", "map50", "map50_95", "lr",
                 "seconds"]


def resolve(*, user, object_id: int) -> TrainingRun:
    return training_run_get(user=user, run_id=object_id)


def title_of(run: TrainingRun) -> str:
    return f"Training run #{run.pk} ({run.name or run.start_label} on {run.dataset.name} v{run.dataset.version})"


def collect(*, obj: TrainingRun, user) -> dict:
    run = obj
    epochs = [{column: (number(getattr(e, column)) if column != "epoch" else e.epoch) for column in EPOCH_COLUMNS}
              for e in run.epochs.order_by("epoch")]
    last = epochs[-1] if epochs else {}
    final = {**{k: last.get(k) for k in ("precision", "recall", "map50", "map50_95")}, **(run.final_metrics or {})}
    total_seconds = sum(e["seconds"] or 0 for e in epochs) if epochs else None
    metrics = {
        "map50_95": metric(label="mAP50-95", value=final.get("map50_95"), better=HIGHER),
        "map50": metric(label="mAP50", value=final.get("map50"), better=HIGHER),
        "precision": metric(label="precision", value=final.get("precision"), better=HIGHER),
        "recall": metric(label="recall", value=final.get("recall"), better=HIGHER),
        "box_loss": metric(label="final box loss", value=last.get("box_loss"), better=LOWER),
        "train_seconds": metric(label="training time", value=total_seconds, better=LOWER, unit="s", fmt=".1f"),
    }
    # mAP has no repeated measurement: its noise is what the validation split's size can resolve (reports/deltas.py)
    instances = (((run.dataset.report or {}).get("splits") or {}).get("val") or {}).get("instances")
    for key in ("map50_95", "map50"):
        if instances and metrics[key]["value"] is not None:
            metrics[key].update(resolution=map_resolution(value=metrics[key]["value"], instances=instances),
                                resolution_kind=f"resolution of a validation split of {instances} instances")
    return {
        "title": title_of(run),
        "subject": {"kind": KIND, "id": run.pk, "name": run.name, "start": run.start_label, "device": run.device,
                    "params": dict(run.params or {}), "state": run.job.state, "error": run.job.error or ""},
        "lineage": {
            "models": model_chain(run.result_model, user=user) if run.result_model else [],
            "parent": model_facts(run.parent_model, user=user),
            "preset": run.preset,
            "dataset": dataset_facts(run.dataset, user=user),
            "hyperparameters": dict(run.params or {}),
            "search": search_of(user=user, job_id=run.job_id, training_run_id=run.pk),
        },
        "people": {"owner": run.owner.username, "created_at": iso(run.created_at)},
        "jobs": jobs_facts([run.job], user=user),
        "measured_on": {"worker": run.job.worker or None, "device": run.device or None, "host": None},
        "tables": {"epochs": table(title="Metrics per epoch", columns=EPOCH_COLUMNS, rows=epochs)},
        "metrics": metrics,
        "plots": _plots(epochs),
        "findings": _findings(run, epochs, final, total_seconds),
    }


def _series(epochs, column, name=None):
    points = [(e["epoch"], e[column]) for e in epochs if e[column] is not None]
    return {"name": name or column, "x": [p[0] for p in points], "y": [p[1] for p in points]}


def _plots(epochs) -> list[dict]:
    if not epochs:
        return []
    return [
        plot(plot_id="training-losses", kind="line", title="Training losses", x_label="epoch", y_label="loss",
             series=[_series(epochs, c) for c in ("box_loss", "cls_loss", "dfl_loss")]),
        plot(plot_id="training-accuracy", kind="line", title="Validation metrics", x_label="epoch", y_label="value",
             series=[_series(epochs, c) for c in ("precision", "recall", "map50", "map50_95")]),
        plot(plot_id="training-lr", kind="line", title="Learning rate", x_label="epoch", y_label="lr",
             series=[_series(epochs, "lr")]),
    ]


def _findings(run, epochs, final, total_seconds) -> list[dict]:
    found = [f for f in [state_finding(what="training run", job=run.job)] if f]
    planned = (run.params or {}).get("epochs")
    if not epochs:
        found.append(finding("grey", "No epoch finished, so there are no metrics to show."))
        return found
    found.append(finding("green" if run.job.state == "SUCCEEDED" else "amber",
                         f"{len(epochs)} of {planned or '?'} planned epochs ran in {total_seconds:.1f} s"
                         f"{' on ' + run.device if run.device else ''}."))
    map_value = final.get("map50_95")
    if map_value is not None:
        best = max((e["map50_95"] or 0.0) for e in epochs)
        light = "green" if map_value >= 0.5 else "amber" if map_value > 0.0 else "red"
        found.append(finding(light, f"The model finds the objects with mAP50-95 {map_value:.3f} "
                                    f"(mAP50 {final.get('map50') or 0:.3f}); the best epoch reached {best:.3f}."
                                    + (" A score of 0 means it does not detect anything yet." if map_value == 0 else "")))
    if run.result_model_id:
        found.append(finding("green", f"It was registered as model {run.result_model.name} "
                                      f"v{run.result_model.version} (id {run.result_model_id})."))
    return found
