from django.apps import AppConfig


class SearchesConfig(AppConfig):
    name = "searches"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from jobs.signals import job_finished
        from training.signals import epoch_ended

        from . import receivers

        job_finished.connect(receivers.on_job_finished, dispatch_uid="searches.on_job_finished")
        epoch_ended.connect(receivers.on_epoch_ended, dispatch_uid="searches.on_epoch_ended")
