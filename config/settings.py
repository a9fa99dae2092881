"""Django settings: every value comes from the environment with typed parsing and safe local defaults."""
import secrets
import socket
from pathlib import Path

import dj_database_url

from core.env import ImproperlyConfiguredEnv, env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PLATFORM_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)  # on only when asked for: a debug page shows tracebacks and settings to anyone

MIN_SECRET_KEY_LENGTH = 32  # it is also the HS256 key of every JWT: RFC 7518 wants at least 256 bits


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key and not DEBUG and len(key) < MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfiguredEnv(f"SECRET_KEY is {len(key)} characters; at least {MIN_SECRET_KEY_LENGTH} are "
                                      "required when DEBUG is off (it signs the JWTs)")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"  # the local key `make run` makes once: manage.py in the checkout finds it too
    if not DEBUG and not key_file.exists():
        raise ImproperlyConfiguredEnv("SECRET_KEY is required when DEBUG is off (or set SECRET_KEY_FILE; `make run` "
                                      f"makes a local one in {key_file})")
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "jobs",
    "registry",
    "training",
    "inference",
    "benchmarks",
    "reports",
    "searches",
    "hosts",
    "serving",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.security.ContentSecurityPolicyMiddleware",
    "core.security.ApiErrorMiddleware",  # JSON 500 under /api/, never a debug page (docs/reliability.md)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'platform.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, workers) share the file: WAL and a busy timeout keep them from failing on locks.
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
_test_db_name = env_str("PLATFORM_TEST_DB_NAME")
if _test_db_name:
    _db["TEST"] = {"NAME": _test_db_name}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis, cache -----------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "vp",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}
# core/redis.py: every Redis call of the web process gives up within these (then a JSON 503).
REDIS_CONNECT_TIMEOUT_SECONDS = env_float("REDIS_CONNECT_TIMEOUT_SECONDS", 0.5, minimum=0.05)
REDIS_READ_TIMEOUT_SECONDS = env_float("REDIS_READ_TIMEOUT_SECONDS", 1.0, minimum=0.05)
REDIS_BLOCKING_READ_TIMEOUT_SECONDS = env_float("REDIS_BLOCKING_READ_TIMEOUT_SECONDS", 130.0, minimum=1.0)
CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                                "socket_timeout": REDIS_READ_TIMEOUT_SECONDS}

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True

# --- artifacts and uploads --------------------------------------------------------------------
# Where artifacts live (core/storage.py, docs/operations.md#storage): this machine's disk (one host), or an
# S3-compatible store that every host shares. Each host copies what it uses into its own verified cache.
ARTIFACT_STORAGE = env_str("ARTIFACT_STORAGE", "filesystem")
ARTIFACT_ROOT = Path(env_str("ARTIFACT_ROOT", str(VAR_DIR / "artifacts")))
if ARTIFACT_STORAGE == "filesystem":
    _artifact_backend = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                         "OPTIONS": {"location": str(ARTIFACT_ROOT)}}
elif ARTIFACT_STORAGE == "s3":
    _artifact_backend = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "endpoint_url": env_str("ARTIFACT_S3_ENDPOINT_URL"),  # empty: AWS itself
        "bucket_name": env_str("ARTIFACT_S3_BUCKET", "vision-platform"),
        "region_name": env_str("ARTIFACT_S3_REGION", "us-east-1"),
        "access_key": env_str("ARTIFACT_S3_ACCESS_KEY_ID"), "secret_key": env_str("ARTIFACT_S3_SECRET_ACCESS_KEY"),
        "addressing_style": env_str("ARTIFACT_S3_ADDRESSING_STYLE", "path"), "signature_version": "s3v4",
        "file_overwrite": True, "default_acl": None, "querystring_expire": 300}}
else:
    raise ImproperlyConfiguredEnv(f"ARTIFACT_STORAGE={ARTIFACT_STORAGE!r} must be 'filesystem' or 's3'")
STORAGES = {
    "default": _artifact_backend,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ARTIFACT_CACHE_DIR = Path(env_str("ARTIFACT_CACHE_DIR", str(VAR_DIR / "artifact-cache")))
ARTIFACT_CACHE_MAX_GB = env_float("ARTIFACT_CACHE_MAX_GB", 20.0, minimum=0.001)
SCRATCH_ROOT = Path(env_str("SCRATCH_ROOT", str(VAR_DIR / "scratch")))
FILE_UPLOAD_TEMP_DIR = str(SCRATCH_ROOT)
SCRATCH_ROOT.mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads stream to disk
# upload scratch older than this is swept even when its owner process seems alive (registry/uploads.py)
UPLOAD_SCRATCH_MAX_AGE_HOURS = env_int("UPLOAD_SCRATCH_MAX_AGE_HOURS", 48, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_MB", 32, minimum=1) * 1024 * 1024
MAX_DATASET_UPLOAD_MB = env_int("MAX_DATASET_UPLOAD_MB", 2048, minimum=1)
MAX_MODEL_UPLOAD_MB = env_int("MAX_MODEL_UPLOAD_MB", 1024, minimum=1)
# Slow request bodies (core/slow_clients.py, docs/reliability.md): a body is cut when no byte came for
# WEB_BODY_READ_TIMEOUT_SECONDS, or when it averages under WEB_BODY_MIN_RATE_KB after WEB_BODY_GRACE_SECONDS; one
# address holds at most WEB_SLOW_BODIES_PER_CLIENT bodies still arriving after WEB_SLOW_BODY_SECONDS (per process).
WEB_BODY_READ_TIMEOUT_SECONDS = env_float("WEB_BODY_READ_TIMEOUT_SECONDS", 10.0, minimum=0.1)
WEB_BODY_MIN_RATE_KB = env_float("WEB_BODY_MIN_RATE_KB", 16.0, minimum=0.0)
WEB_BODY_GRACE_SECONDS = env_float("WEB_BODY_GRACE_SECONDS", 5.0, minimum=0.0)
WEB_SLOW_BODY_SECONDS = env_float("WEB_SLOW_BODY_SECONDS", 2.0, minimum=0.1)
WEB_SLOW_BODIES_PER_CLIENT = env_int("WEB_SLOW_BODIES_PER_CLIENT", 4, minimum=1)

# --- the API: REST framework, input limits and quotas, JWT, OpenAPI schema (config/settings_api.py) ----------
from .settings_api import *  # noqa: E402,F401,F403

# --- jobs and Celery -------------------------------------------------------------------------
JOB_HEARTBEAT_SECONDS = env_float("JOB_HEARTBEAT_SECONDS", 10.0, minimum=0.1)
JOB_STALE_AFTER_SECONDS = env_float("JOB_STALE_AFTER_SECONDS", 60.0, minimum=1.0)
REAPER_INTERVAL_SECONDS = env_float("REAPER_INTERVAL_SECONDS", 30.0, minimum=0.5)
# A QUEUED job whose Celery message has been missing from Redis this long is sent again, up to
# JOB_LOST_MESSAGE_RESENDS times, then failed (jobs/lost_messages.py).
JOB_LOST_MESSAGE_SECONDS = env_float("JOB_LOST_MESSAGE_SECONDS", 60.0, minimum=0.0)
JOB_LOST_MESSAGE_RESENDS = env_int("JOB_LOST_MESSAGE_RESENDS", 2, minimum=0)
HEALTH_WORKERS_CACHE_SECONDS = env_float("HEALTH_WORKERS_CACHE_SECONDS", 5.0, minimum=0.0)  # health's worker counts

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# ultralytics: no network, no settings sync, no auto-install at run time.
ULTRALYTICS_DIR = VAR_DIR / "ultralytics"

# --- the apps' own settings: registry limits, inspection and conversion, training, searches, reports -----------
from .settings_apps import *  # noqa: E402,F401,F403

TRAINING_TIME_LIMIT_SECONDS = env_int("TRAINING_TIME_LIMIT_SECONDS", CELERY_TASK_SOFT_TIME_LIMIT, minimum=1)

# --- hosts (hosts/; docs/operations.md "Hosts"): every worker and pool process registers its machine ----------
HOST_NAME = env_str("HOST_NAME", "") or socket.gethostname()  # two workers on one machine may name two hosts
HARDWARE_CLASS = env_str("HARDWARE_CLASS", "")  # "": derived from the machine (gpu:<model>, cpu:amx, ...)
HOST_HEARTBEAT_SECONDS = env_float("HOST_HEARTBEAT_SECONDS", 5.0, minimum=0.1)  # Redis key refresh
HOST_TTL_SECONDS = env_float("HOST_TTL_SECONDS", 20.0, minimum=0.5)  # no heartbeat for this long: "gone"
HOST_DB_UPDATE_SECONDS = env_float("HOST_DB_UPDATE_SECONDS", 60.0, minimum=1.0)  # the Host row's last_seen

# --- inference pool (inference/pool.py; docs/inference.md) ------------------------------------------
INFERENCE_BATCH_WINDOW_MS = env_float("INFERENCE_BATCH_WINDOW_MS", 2.0, minimum=0.0)
INFERENCE_MAX_BATCH = env_int("INFERENCE_MAX_BATCH", 8, minimum=1)
INFERENCE_MAX_QUEUE = env_int("INFERENCE_MAX_QUEUE", 256, minimum=1)  # queued requests per model, then 503
INFERENCE_TIMEOUT_MS = env_int("INFERENCE_TIMEOUT_MS", 10_000, minimum=1)  # default deadline, then 504
INFERENCE_MAX_IMAGES = env_int("INFERENCE_MAX_IMAGES", 16, minimum=1)
INFERENCE_MAX_BODY_MB = env_int("INFERENCE_MAX_BODY_MB", 20, minimum=1)
INFERENCE_MAX_IMAGE_PIXELS = env_int("INFERENCE_MAX_IMAGE_PIXELS", 40_000_000, minimum=1)
INFERENCE_MAX_MODELS = env_int("INFERENCE_MAX_MODELS", 4, minimum=1)
INFERENCE_MAX_RSS_MB = env_int("INFERENCE_MAX_RSS_MB", 0, minimum=0)  # 0: bounded by INFERENCE_MAX_MODELS only
INFERENCE_PRELOAD = [int(i) for i in env_list("INFERENCE_PRELOAD", [])]
INFERENCE_HEARTBEAT_SECONDS = env_float("INFERENCE_HEARTBEAT_SECONDS", 1.0, minimum=0.1)
INFERENCE_ORT_THREADS = env_int("INFERENCE_ORT_THREADS", 0, minimum=0)  # 0: ONNX Runtime's default
INFERENCE_ORT_SPIN = env_bool("INFERENCE_ORT_SPIN", False)  # ORT intra-op threads spin between runs
INFERENCE_OPENVINO_PRECISION = env_str("INFERENCE_OPENVINO_PRECISION", "")  # "": the CPU plugin's choice (bf16/f32)
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])  # empty: any client
METRICS_TOKEN = env_str("METRICS_TOKEN")  # set: /metrics needs "Authorization: Bearer <token>"

# --- production security (docs/reliability.md: `manage.py check --deploy` is clean with these set) ------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^api/health/", r"^metrics$"]  # probes speak plain HTTP inside the network
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):  # behind a TLS-terminating proxy that sets X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = env_str(  # on HTML pages (admin, API docs, reports): core/security.py
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")

from .env_names import warn_unknown_settings  # noqa: E402

UNKNOWN_SETTING_NAMES = warn_unknown_settings(BASE_DIR)  # a misspelt setting is reported at start, not ignored
