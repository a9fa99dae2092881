"""Jobs and Celery: heartbeats and the reaper, lost messages and re-runs, the Celery app's settings (JSON only,
late acks, time limits) and which queue each kind of task goes to (gpu or default; docs/operations.md)."""
from core.env import ImproperlyConfiguredEnv, env_float, env_int, env_str

from .redis import REDIS_URL

# --- jobs (jobs/; docs/reliability.md) ---------------------------------------------------------------------
JOB_HEARTBEAT_SECONDS = env_float("JOB_HEARTBEAT_SECONDS", 10.0, minimum=0.1)
JOB_STALE_AFTER_SECONDS = env_float("JOB_STALE_AFTER_SECONDS", 60.0, minimum=1.0)
REAPER_INTERVAL_SECONDS = env_float("REAPER_INTERVAL_SECONDS", 30.0, minimum=0.5)
# A QUEUED job whose Celery message has been missing from Redis this long is sent again, up to
# JOB_LOST_MESSAGE_RESENDS times, then failed (jobs/lost_messages.py).
JOB_LOST_MESSAGE_SECONDS = env_float("JOB_LOST_MESSAGE_SECONDS", 60.0, minimum=0.0)
JOB_LOST_MESSAGE_RESENDS = env_int("JOB_LOST_MESSAGE_RESENDS", 2, minimum=0)
# A gpu job whose host died (stale heartbeat) runs again on another worker, up to this many attempts in all
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3, minimum=1)
HEALTH_WORKERS_CACHE_SECONDS = env_float("HEALTH_WORKERS_CACHE_SECONDS", 5.0, minimum=0.0)  # health's worker counts

# --- Celery (config/celery.py reads every CELERY_* setting) --------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_POOL = "core.worker_pool:TaskPool"  # prefork that never hands a job to a child about to exit
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 6 * 3600, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 6 * 3600 + 300, minimum=1)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfiguredEnv("CELERY_TASK_TIME_LIMIT must be greater than CELERY_TASK_SOFT_TIME_LIMIT")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 3, "interval_start": 0,
                                                            "interval_step": 0.5, "interval_max": 1}}

# --- queues: which worker runs what ----------------------------------------------------------------------------
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "training.curves": {"queue": "default"},  # plotting needs no GPU slot
    "training.*": {"queue": "gpu"},
    "registry.convert*": {"queue": "gpu"},
    "benchmarks.*": {"queue": "gpu"},
    "reports.*": {"queue": "default"},  # collecting and drawing a report needs no GPU slot
    "searches.measure_latency": {"queue": "gpu"},  # exports and times a trained individual
    "searches.*": {"queue": "default"},  # the controller step and sweep never hold a GPU slot
}
CELERY_BEAT_SCHEDULE = {
    "reap-lost-jobs": {"task": "jobs.reap_lost_jobs", "schedule": REAPER_INTERVAL_SECONDS, "options": {"queue": "default"}},
    "step-searches": {"task": "searches.sweep", "schedule": env_float("SEARCH_SWEEP_SECONDS", 15.0, minimum=0.5),
                      "options": {"queue": "default"}},  # resumes searches whose events were lost (docs/searches.md)
}

FLOWER_BASIC_AUTH = env_str("FLOWER_BASIC_AUTH")
