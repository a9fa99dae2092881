"""Reads for training: the runs a user may see, and the datasets/models a user may train on.

Datasets come from `registry.dataset_selectors`. `model_version_get_visible` applies the registry's visibility
rule (owner, admin or `shared=True`, else 404) locally: the registry's model selectors were written at the same
time as this app; swap it for theirs once both are in.
"""
from django.db.models import Q
from django.http import Http404

from registry.dataset_selectors import dataset_get as dataset_get_visible  # noqa: F401  (one import point)
from registry.models import ModelVersion

from .models import TrainingRun


def _visible(queryset, user):
    if user.is_platform_admin:
        return queryset
    return queryset.filter(Q(owner=user) | Q(shared=True))


def model_version_get_visible(*, user, model_id: int) -> ModelVersion:
    model = _visible(ModelVersion.objects.all(), user).filter(pk=model_id).first()
    if model is None:
        raise Http404(f"No model with id {model_id} is visible to you.")
    return model


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
