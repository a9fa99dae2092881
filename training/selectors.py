"""Reads for training: the runs a user may see (accounts.visibility: their own; admins all), their epochs as rows
or CSV, and their curves (the saved picture once a run has ended, else drawn from the epochs so far)."""
import csv
import io

from accounts.visibility import visible_to
from core.errors import NotFound
from core.storage import artifact_exists, artifact_read_bytes

from .curves import CURVES_FILE, curves_png, curves_title
from .models import TrainingRun
from .serializers import TrainingEpochSerializer


def training_run_list(*, user):
    # `individuals` (a search's, if any) answer each run's `search` and `generation`: one query for the page.
    runs = TrainingRun.objects.select_related("owner", "job", "dataset", "parent_model", "result_model")
    return visible_to(runs.prefetch_related("individuals"), user)


def training_run_get(*, user, run_id: int) -> TrainingRun:
    """The run if `user` may see it (owner or admin); 404 otherwise."""
    run = training_run_list(user=user).filter(pk=run_id).first()
    if run is None:
        raise NotFound("No training run with this id is visible to you.")
    return run


def training_run_epochs(*, run: TrainingRun):
    return run.epochs.order_by("epoch")


def training_run_metrics_csv(*, run: TrainingRun) -> str:
    """One row per epoch, the columns of TrainingEpochSerializer; empty cells for metrics not reported."""
    columns = [name for name in TrainingEpochSerializer.Meta.fields if name != "created_at"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in TrainingEpochSerializer(training_run_epochs(run=run), many=True).data:
        writer.writerow(["" if row[name] is None else row[name] for name in columns])
    return buffer.getvalue()


def training_run_curves(*, run: TrainingRun) -> tuple[bytes, bool]:
    """(PNG, final): the saved curves of an ended run, or a PNG drawn now from the epochs so far."""
    saved = f"{run.artifacts}/{CURVES_FILE}" if run.artifacts else None
    if run.job.is_terminal and saved is not None and artifact_exists(saved):
        return artifact_read_bytes(saved), True
    return curves_png(epochs=list(training_run_epochs(run=run)), title=curves_title(run)), False
