"""Django settings: every value comes from the environment with typed parsing and safe local defaults."""
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from .env import ImproperlyConfiguredEnv, env_bool, env_float, env_int, env_list, env_str

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
    if not DEBUG:
        raise ImproperlyConfiguredEnv("SECRET_KEY is required when DEBUG is off (or set SECRET_KEY_FILE)")
    key_file = VAR_DIR / "secret_key"
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
    "config.security.ContentSecurityPolicyMiddleware",
    "config.security.ApiErrorMiddleware",  # JSON 500 under /api/, never a debug page (docs/reliability.md)
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
# config/redis.py: every Redis call of the web process gives up within these (then a JSON 503).
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
ARTIFACT_ROOT = Path(env_str("ARTIFACT_ROOT", str(VAR_DIR / "artifacts")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(ARTIFACT_ROOT)}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SCRATCH_ROOT = Path(env_str("SCRATCH_ROOT", str(VAR_DIR / "scratch")))
FILE_UPLOAD_TEMP_DIR = str(SCRATCH_ROOT)
SCRATCH_ROOT.mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads stream to disk
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_MB", 32, minimum=1) * 1024 * 1024
MAX_DATASET_UPLOAD_MB = env_int("MAX_DATASET_UPLOAD_MB", 2048, minimum=1)
MAX_MODEL_UPLOAD_MB = env_int("MAX_MODEL_UPLOAD_MB", 1024, minimum=1)
# Slow request bodies (config/slow_clients.py, docs/reliability.md): a body is cut when no byte came for
# WEB_BODY_READ_TIMEOUT_SECONDS, or when it averages under WEB_BODY_MIN_RATE_KB after WEB_BODY_GRACE_SECONDS; one
# address holds at most WEB_SLOW_BODIES_PER_CLIENT bodies still arriving after WEB_SLOW_BODY_SECONDS (per process).
WEB_BODY_READ_TIMEOUT_SECONDS = env_float("WEB_BODY_READ_TIMEOUT_SECONDS", 10.0, minimum=0.1)
WEB_BODY_MIN_RATE_KB = env_float("WEB_BODY_MIN_RATE_KB", 16.0, minimum=0.0)
WEB_BODY_GRACE_SECONDS = env_float("WEB_BODY_GRACE_SECONDS", 5.0, minimum=0.0)
WEB_SLOW_BODY_SECONDS = env_float("WEB_SLOW_BODY_SECONDS", 2.0, minimum=0.1)
WEB_SLOW_BODIES_PER_CLIENT = env_int("WEB_SLOW_BODIES_PER_CLIENT", 4, minimum=1)

# --- REST framework, JWT, schema ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PlatformPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": [  # JSON bodies: one object, bounded depth (config/parsers.py)
        "config.parsers.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.PlatformAutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
}
LOGIN_THROTTLE_RATE = env_str("LOGIN_THROTTLE_RATE", "10/min")
# --- input limits and quotas (docs/security.md) ---
MAX_PAGE_SIZE = env_int("MAX_PAGE_SIZE", 500, minimum=1)  # the largest `limit` a list accepts; more is a 400
MAX_PAGE_OFFSET = env_int("MAX_PAGE_OFFSET", 10_000_000, minimum=0)
MAX_JSON_DEPTH = env_int("MAX_JSON_DEPTH", 32, minimum=2)  # nesting of arrays/objects in a JSON body
QUOTA_ACTIVE_JOBS = env_int("QUOTA_ACTIVE_JOBS", 20, minimum=0)  # queued + running jobs per user; 0: no limit
QUOTA_UPLOAD_MB = env_int("QUOTA_UPLOAD_MB", 20_480, minimum=0)  # stored dataset + model bytes per user; 0: none
CSRF_FAILURE_VIEW = "config.exceptions.csrf_failure"  # JSON under /api/

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env_int("JWT_REFRESH_HOURS", 24, minimum=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a digest of the password hash: a password change ends every access token at once
    # (refresh tokens are blacklisted by accounts.services.user_tokens_revoke).
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Vision model platform API",
    "DESCRIPTION": "Models, datasets, training, conversion, benchmarks, inference and reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.schema.error_responses_hook"],
    "ENUM_NAME_OVERRIDES": {
        "ModelFormatEnum": "registry.models.ModelFormat.choices",
        "ConversionTargetEnum": [("onnx", "onnx"), ("tensorrt", "tensorrt")],
    },
}

# --- jobs and Celery -------------------------------------------------------------------------
JOB_HEARTBEAT_SECONDS = env_float("JOB_HEARTBEAT_SECONDS", 10.0, minimum=0.1)
JOB_STALE_AFTER_SECONDS = env_float("JOB_STALE_AFTER_SECONDS", 60.0, minimum=1.0)
REAPER_INTERVAL_SECONDS = env_float("REAPER_INTERVAL_SECONDS", 30.0, minimum=0.5)
# A QUEUED job whose Celery message has been missing from Redis this long is failed (jobs_reap_lost_messages).
JOB_LOST_MESSAGE_SECONDS = env_float("JOB_LOST_MESSAGE_SECONDS", 60.0, minimum=0.0)
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
CELERY_WORKER_POOL = "config.worker_pool:TaskPool"  # prefork that never hands a job to a child about to exit
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

# --- dataset upload limits (registry/validation/zipsafe.py, registry/validation/yolo.py) -------------
DATASET_MAX_MEMBERS = env_int("DATASET_MAX_MEMBERS", 100_000, minimum=1)
DATASET_MAX_UNCOMPRESSED_MB = env_int("DATASET_MAX_UNCOMPRESSED_MB", 8192, minimum=1)
DATASET_MAX_RATIO = env_float("DATASET_MAX_RATIO", 100.0, minimum=1.0)  # per-member uncompressed/compressed
DATASET_MAX_IMAGE_PIXELS = env_int("DATASET_MAX_IMAGE_PIXELS", 64_000_000, minimum=1)
DATASET_REPORT_MAX_PROBLEMS = env_int("DATASET_REPORT_MAX_PROBLEMS", 50, minimum=1)

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
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])  # empty: any client
METRICS_TOKEN = env_str("METRICS_TOKEN")  # set: /metrics needs "Authorization: Bearer <token>"

# --- model registry (registry/inspection/sandbox.py, registry/conversion/parity.py) ---------------------
MODEL_INSPECT_TIMEOUT_SECONDS = env_int("MODEL_INSPECT_TIMEOUT_SECONDS", 120, minimum=5)  # wall and CPU seconds
MODEL_INSPECT_MEMORY_MB = env_int("MODEL_INSPECT_MEMORY_MB", 6144, minimum=1024)  # address space, plus 4x the file
CONVERSION_PARITY_ATOL = env_float("CONVERSION_PARITY_ATOL", 1e-3, minimum=0.0)  # x max(1, max |PyTorch output|)
CONVERSION_PARITY_ATOL_FP16 = env_float("CONVERSION_PARITY_ATOL_FP16", 2e-2, minimum=0.0)  # TensorRT FP16 engines

# --- training (training/schemas.py, training/devices.py) --------------------------------------------
TRAINING_TIME_LIMIT_SECONDS = env_int("TRAINING_TIME_LIMIT_SECONDS", CELERY_TASK_SOFT_TIME_LIMIT, minimum=1)
TRAINING_DEVICE = env_str("TRAINING_DEVICE", "")  # e.g. "cpu" or "0" for the whole worker; "" = one GPU per pool slot
# DataLoader worker processes per training run; unset = 0 on the CPU, a few on a GPU (training/devices.py)
TRAINING_DATALOADER_WORKERS = env_int("TRAINING_DATALOADER_WORKERS", None, minimum=0)
TRAINING_PRELOAD = env_bool("TRAINING_PRELOAD", True)  # a gpu worker imports the training stack once, at start

# --- searches (searches/, docs/searches.md) ------------------------------------------------------------
SEARCH_MAX_TRIALS = env_int("SEARCH_MAX_TRIALS", 200, minimum=1)  # population x generations of one search
SEARCH_LATENCY_RESEND_SECONDS = env_float("SEARCH_LATENCY_RESEND_SECONDS", 600.0, minimum=1.0)  # lost measurement

# --- reports (reports/links.py): how long a signed link to a report's HTML views opens it -----------------
REPORT_LINK_MAX_AGE_SECONDS = env_int("REPORT_LINK_MAX_AGE_SECONDS", 24 * 3600, minimum=1)

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
CONTENT_SECURITY_POLICY = env_str(  # on HTML pages (admin, API docs, reports): config/security.py
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")

from .env_names import warn_unknown_settings  # noqa: E402

UNKNOWN_SETTING_NAMES = warn_unknown_settings(BASE_DIR)  # a misspelt setting is reported at start, not ignored
