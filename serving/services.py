"""Writes for serving: set or clear the engine that serves a model on a hardware class (by hand or from a
benchmark's selection). Every change tells the inference pools (invalidation.py)."""
from django.db import transaction

from accounts.visibility import check_can_modify
from core.errors import Invalid
from registry.models import ModelVersion

from .engine_catalogue import ENGINE_FORMATS
from .invalidation import serving_changed
from .models import EVERY_CLASS, ServingChoice
from .rules import lineage_contains, serving_version_default


def serving_set(*, user, model: ModelVersion, engine: str, version: ModelVersion | None = None,
                hardware_class: str = EVERY_CLASS, benchmark=None) -> ServingChoice:
    """Serve `model` on `hardware_class` with `engine` loading `version` (default: serving_version_default).

    Without a class (EVERY_CLASS) the choice is the model's one engine everywhere, as before classes existed: the
    per-class choices are replaced. A class's choice (a benchmark's apply, or by hand) concerns that class only."""
    check_can_modify(model, user, action="change the serving engine of")
    if engine not in ENGINE_FORMATS:
        raise Invalid(errors={"engine": [f"unknown engine {engine!r}; known: {', '.join(sorted(ENGINE_FORMATS))}"]})
    formats = ENGINE_FORMATS[engine]
    if version is None:
        version = serving_version_default(model=model, formats=formats)
        if version is None:
            raise Invalid(errors={"engine": [
                f"{engine} loads {', '.join(formats)} models; model {model.pk} is {model.format} and has no such "
                f"conversion (convert it first: POST /api/models/{model.pk}/convert/)"]})
    elif not lineage_contains(model=model, version=version):
        raise Invalid(errors={"version": [f"model {version.pk} is not model {model.pk} or a conversion of it"]})
    if version.format not in formats:
        raise Invalid(errors={"engine": [f"{engine} cannot load a {version.format} model (it loads "
                                         f"{', '.join(formats)})"]})
    with transaction.atomic():
        if hardware_class == EVERY_CLASS:
            ServingChoice.objects.filter(model=model).exclude(hardware_class=EVERY_CLASS).delete()
        choice, _ = ServingChoice.objects.update_or_create(
            model=model, hardware_class=hardware_class,
            defaults={"engine": engine, "version": version, "benchmark": benchmark})
        serving_changed()
    return choice


def serving_clear(*, user, model: ModelVersion, hardware_class: str | None = None) -> int:
    """Back to the defaults on `hardware_class`, or on every class when it is None; the number of choices removed."""
    check_can_modify(model, user, action="change the serving engine of")
    choices = ServingChoice.objects.filter(model=model)
    if hardware_class is not None:
        choices = choices.filter(hardware_class=hardware_class)
    with transaction.atomic():
        removed, _ = choices.delete()
        serving_changed()
    return removed
