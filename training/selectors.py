"""Reads for training: the runs a user may see (their own; admins all) and their per-epoch rows."""
from django.http import Http404

from .models import TrainingRun


def training_run_list(*, user):
    runs = TrainingRun.objects.select_related("owner", "job", "dataset", "parent_model", "result_model")
    if not user.is_platform_admin:
        runs = runs.filter(owner=user)
    return runs


def training_run_get(*, user, run_id: int) -> TrainingRun:
    """The run if `user` may see it (owner or admin); 404 otherwise."""
    run = training_run_list(user=user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No training run with this id is visible to you.")
    return run


def training_run_epochs(*, run: TrainingRun):
    return run.epochs.order_by("epoch")
