"""Reads for training: the runs a user may see (accounts.visibility: their own; admins all) and their epochs."""
from django.http import Http404

from accounts.visibility import visible_to

from .models import TrainingRun


def training_run_list(*, user):
    return visible_to(TrainingRun.objects.select_related("owner", "job", "dataset", "parent_model", "result_model"),
                      user)


def training_run_get(*, user, run_id: int) -> TrainingRun:
    """The run if `user` may see it (owner or admin); 404 otherwise."""
    run = training_run_list(user=user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No training run with this id is visible to you.")
    return run


def training_run_epochs(*, run: TrainingRun):
    return run.epochs.order_by("epoch")
