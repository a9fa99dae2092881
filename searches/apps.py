from django.apps import AppConfig

from jobs.signals import job_finished
from training.signals import epoch_ended


class SearchesConfig(AppConfig):
    name = "searches"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers  # deferred: Django (its models load only once the app registry is ready)

        job_finished.connect(receivers.on_job_finished, dispatch_uid="searches.on_job_finished")
        epoch_ended.connect(receivers.on_epoch_ended, dispatch_uid="searches.on_epoch_ended")
