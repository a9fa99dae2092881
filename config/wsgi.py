"""WSGI entry point for gunicorn."""
import os

from django.core.wsgi import get_wsgi_application

from core.slow_clients import SlowBodyGuard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = SlowBodyGuard(get_wsgi_application())  # bounds slow request bodies
