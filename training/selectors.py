"""Reads for training: the runs a user may see, and the datasets/models a user may train on.

Visibility of datasets and models (owner, admin or `shared=True`, else 404) is the registry's own rule.
"""
from django.http import Http404

from registry.dataset_selectors import dataset_get as dataset_get_visible  # noqa: F401  (one import point)
from registry.model_selectors import model_get_visible as model_version_get_visible  # noqa: F401

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
