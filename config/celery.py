"""The Celery app: reads CELERY_* from Django settings, discovers each app's tasks.py."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import hosts.worker_signals  # noqa: E402,F401  (a gpu worker consumes its host queue; every worker registers its host)
