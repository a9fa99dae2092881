"""The project itself as an app (label `platform`), so its system checks run with `manage.py check`, `migrate` and
every management command, like any app's."""
from django.apps import AppConfig
from django.core import checks

from .env_names import unknown_env_names_check


class PlatformConfig(AppConfig):
    name = "config"
    label = "platform"
    verbose_name = "Vision model platform"

    def ready(self):
        checks.register(unknown_env_names_check)
