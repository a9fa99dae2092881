"""Reads for model versions: what a user may see, lineage, and whether another version shares a file.

Other apps use `model_get_visible` / `model_list_visible` to resolve a model id for a user (404 when invisible).
"""
from django.db.models import QuerySet

from accounts.visibility import visible_to
from core.artifact_cache import Lease, cached_file
from core.errors import NotFound
from ..models import Conversion, ModelVersion


def model_list_visible(*, user) -> QuerySet[ModelVersion]:
    """Every model version `user` may see: their own and shared ones; admins see all."""
    return visible_to(ModelVersion.objects.select_related("owner").prefetch_related("serving_choices"), user)


def model_list(*, user, name: str | None = None, format: str | None = None,
               owner: str | None = None) -> QuerySet[ModelVersion]:
    models = model_list_visible(user=user)
    if name:
        models = models.filter(name=name)
    if format:
        models = models.filter(format=format)
    if owner:
        models = models.filter(owner__username=owner)
    return models


def model_get_visible(*, user, model_id: int) -> ModelVersion:
    """The model version if `user` may see it; 404 otherwise (never 403, so others' ids are not confirmed)."""
    model = model_list_visible(user=user).filter(pk=model_id).first()
    if model is None:
        raise NotFound("No model with this id is visible to you.")
    return model


def model_next_version(*, owner, name: str) -> int:
    latest = ModelVersion.objects.filter(owner=owner, name=name).order_by("-version").values_list("version", flat=True)
    return (latest.first() or 0) + 1


def model_file_in_use_elsewhere(*, model: ModelVersion) -> bool:
    """Files are content-addressed: another version may hold the very same bytes."""
    return ModelVersion.objects.filter(file=model.file).exclude(pk=model.pk).exists()


def conversion_get(*, user, conversion_id: int) -> Conversion:
    """The conversion if `user` may see it (whoever requested it, and admins); 404 otherwise."""
    conversion = (visible_to(Conversion.objects.select_related("job", "source", "result"), user,
                             owner_field="job__owner").filter(pk=conversion_id).first())
    if conversion is None:
        raise NotFound("No conversion with this id is visible to you.")
    return conversion


def model_file_local(version: ModelVersion) -> Lease:
    """The version's file on this host's disk, from the artifact cache (verified against its SHA-256)."""
    return cached_file(name=version.file, sha256=version.sha256)


def model_serving_summary(model: ModelVersion) -> tuple[dict, list[dict]]:
    """(the latest choice as {engine, version, benchmark} or all None, every choice by class) from the model's
    prefetched `serving_choices` (the reverse relation of serving.ServingChoice: serving sits above the registry)."""
    choices = sorted(model.serving_choices.all(), key=lambda c: (c.updated_at, c.pk))
    latest = choices[-1] if choices else None
    by_class = [{"hardware_class": c.hardware_class, "engine": c.engine, "version": c.version_id,
                 "benchmark": c.benchmark_id, "updated_at": c.updated_at}
                for c in sorted(choices, key=lambda c: c.hardware_class)]
    return ({"engine": latest.engine if latest else None, "version": latest.version_id if latest else None,
             "benchmark": latest.benchmark_id if latest else None}, by_class)
