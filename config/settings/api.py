"""The API: Django REST framework, JWT lifetimes, the OpenAPI schema, and what a request may ask for (body sizes,
slow bodies, page sizes, JSON depth, per-user quotas; docs/security.md)."""
from datetime import timedelta

from core.env import env_float, env_int, env_str

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",  # `Bearer vp_…` personal tokens; first: JWT refuses them
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PlatformPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": [  # JSON bodies: one object, bounded depth (core/parsers.py)
        "core.parsers.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.PlatformAutoSchema",
    "EXCEPTION_HANDLER": "core.http_errors.api_exception_handler",
}
LOGIN_THROTTLE_RATE = env_str("LOGIN_THROTTLE_RATE", "10/min")
CSRF_FAILURE_VIEW = "core.http_errors.csrf_failure"  # JSON under /api/

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
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.openapi.error_responses_hook"],
    "ENUM_NAME_OVERRIDES": {
        "ModelFormatEnum": "registry.models.ModelFormat.choices",
        "ConversionTargetEnum": [("onnx", "onnx"), ("tensorrt", "tensorrt")],
    },
}

# --- input limits and quotas (docs/security.md) ----------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_MB", 32, minimum=1) * 1024 * 1024
MAX_PAGE_SIZE = env_int("MAX_PAGE_SIZE", 500, minimum=1)  # the largest `limit` a list accepts; more is a 400
MAX_PAGE_OFFSET = env_int("MAX_PAGE_OFFSET", 10_000_000, minimum=0)
MAX_JSON_DEPTH = env_int("MAX_JSON_DEPTH", 32, minimum=2)  # nesting of arrays/objects in a JSON body
QUOTA_ACTIVE_JOBS = env_int("QUOTA_ACTIVE_JOBS", 20, minimum=0)  # queued + running jobs per user; 0: no limit
QUOTA_UPLOAD_MB = env_int("QUOTA_UPLOAD_MB", 20_480, minimum=0)  # stored dataset + model bytes per user; 0: none

# Slow request bodies (core/slow_clients.py, docs/reliability.md): a body is cut when no byte came for
# WEB_BODY_READ_TIMEOUT_SECONDS, or when it averages under WEB_BODY_MIN_RATE_KB after WEB_BODY_GRACE_SECONDS; one
# address holds at most WEB_SLOW_BODIES_PER_CLIENT bodies still arriving after WEB_SLOW_BODY_SECONDS (per process).
WEB_BODY_READ_TIMEOUT_SECONDS = env_float("WEB_BODY_READ_TIMEOUT_SECONDS", 10.0, minimum=0.1)
WEB_BODY_MIN_RATE_KB = env_float("WEB_BODY_MIN_RATE_KB", 16.0, minimum=0.0)
WEB_BODY_GRACE_SECONDS = env_float("WEB_BODY_GRACE_SECONDS", 5.0, minimum=0.0)
WEB_SLOW_BODY_SECONDS = env_float("WEB_SLOW_BODY_SECONDS", 2.0, minimum=0.1)
WEB_SLOW_BODIES_PER_CLIENT = env_int("WEB_SLOW_BODIES_PER_CLIENT", 4, minimum=1)
