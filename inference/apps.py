from django.apps import AppConfig

from hosts.facts import engines_probe_register

from .probe import available_engines


class InferenceConfig(AppConfig):
    name = "inference"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        engines_probe_register(available_engines)  # a gpu worker's Host row lists the engines it can run
