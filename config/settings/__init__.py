"""Django settings (DJANGO_SETTINGS_MODULE=config.settings), one module per concern; each reads the environment
through core/env.py. A new setting goes in the module of its concern; a module that needs another's value imports it
from there (training.py takes CELERY_TASK_SOFT_TIME_LIMIT from queues.py). Its UPPERCASE names are settings.
"""
from .base import *  # paths, DEBUG, secret key, apps, middleware, templates, auth, logging
from .database import *
from .redis import *  # the shared Redis URL and timeouts, the cache
from .storage import *  # artifact store and cache, upload scratch
from .registry import *  # upload sizes, dataset archives, model inspection, conversion parity
from .api import *  # REST framework, JWT, OpenAPI, input limits and quotas
from .security import *  # HTTPS, HSTS, cookies, CSP
from .queues import *  # jobs, Celery, queue routes, beat
from .hosts import *
from .training import *
from .inference import *  # and serving
from .benchmarks import *
from .searches import *
from .reports import *
