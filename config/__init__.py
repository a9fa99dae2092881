"""The Django project package (named config/ because a package named `platform` would shadow the stdlib)."""
from .celery import app as celery_app

__all__ = ("celery_app",)
