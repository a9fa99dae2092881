"""Reads for inference: which model a user may call. What serves it is serving/selectors.py (the one home)."""
from django.db.models import Case, IntegerField, Value, When

from accounts.visibility import visible_to
from core.errors import NotFound
from registry.models import ModelVersion


def inference_model_get(*, user, model_id: int) -> ModelVersion:
    """The model if `user` may see it (404 otherwise): one query, without the serving choices that the registry's
    `model_get_visible` prefetches for its API (the hot path of every predict)."""
    model = visible_to(ModelVersion.objects.all(), user).filter(pk=model_id).first()
    if model is None:
        raise NotFound("No model with this id is visible to you.")
    return model


def inference_model_by_name(*, user, name: str, version: str | None) -> ModelVersion:
    """The model a v2 URL names (registry name, and version or else the newest) among those `user` may see: the
    user's own before another's shared one of the same name and version; 404 otherwise."""
    models = visible_to(ModelVersion.objects.all(), user).filter(name=name)
    if version is not None:
        if not version.isdigit():
            raise NotFound(f"No model {name!r} version {version!r}: versions are numbers.")
        models = models.filter(version=int(version))
    mine = Case(When(owner_id=user.pk, then=Value(0)), default=Value(1), output_field=IntegerField())
    model = models.annotate(mine=mine).order_by("mine", "-version", "pk").first()
    if model is None:
        raise NotFound(f"No model {name!r}{f' version {version}' if version else ''} is visible to you.")
    return model
