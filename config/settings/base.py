"""The project's frame: paths, DEBUG and the secret key, the installed apps, middleware, templates, auth, static
files and logging. Every value comes from the environment (core/env.py) with a safe local default."""
import secrets
from pathlib import Path

from core.env import ImproperlyConfiguredEnv, env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
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
    "config.apps.PlatformConfig",  # the project's own system checks (config/env_names.py: platform.W001)
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
