"""Serving invalidates itself when the registry's rows change (the registry sits below serving and never calls it):
a new conversion may be what serves its parent by default now, and a deleted version takes its serving choices
with it (its parent may have served through it). Connected by serving/apps.py."""
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from registry.models import ModelSource, ModelVersion

from .invalidation import serving_changed


@receiver(post_save, sender=ModelVersion, dispatch_uid="serving-model-version-saved")
def _conversion_registered(sender, instance: ModelVersion, created: bool, **kwargs) -> None:
    if created and instance.source == ModelSource.CONVERSION:
        serving_changed()


@receiver(post_delete, sender=ModelVersion, dispatch_uid="serving-model-version-deleted")
def _version_deleted(sender, instance: ModelVersion, **kwargs) -> None:
    serving_changed()
