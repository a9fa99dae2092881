"""A system check (platform.W001) for environment variables that look like the platform's settings but are read
nowhere: a misspelt name (JOB_STALE_AFTER_SECOND) is otherwise silently ignored and its default used.

Every variable whose name begins with one of our prefixes and is not read gets a warning naming the closest name
that is (difflib). The names read are taken from the few places that read the environment: the settings package
(every setting, through core/env.py), platform/ and the Makefile (the launcher, gunicorn, Flower), the bench
scripts, and the modules in DIRECT_READERS; a string literal or ${NAME} there counts as read, so a new setting
needs no list to update. tests/test_env_names.py proves no module outside these reads a name with our prefixes.
"""
import difflib
import os
import re
from pathlib import Path

from django.conf import settings
from django.core import checks

PREFIXES = ("JOB_", "JOBS_", "TRAINING_", "INFERENCE_", "REDIS_", "CELERY_", "DATABASE_", "DB_", "WEB_", "REPORT_",
            "REPORTS_", "SEARCH_", "BENCHMARK_", "BENCH_", "UPLOAD_", "QUOTA_", "DATASET_", "MODEL_", "CONVERSION_",
            "JWT_", "METRICS_", "HEALTH_", "REAPER_", "MAX_", "PLATFORM_", "SECURE_", "LOGIN_", "SESSION_", "CSRF_",
            "CONTENT_SECURITY", "EMBEDDED_REDIS", "SECRET_KEY", "ALLOWED_HOSTS", "HOST_", "HARDWARE_")
# Read by the libraries we run, not by our sources.
LIBRARY_NAMES = {"CELERY_CONFIG_MODULE", "CELERY_LOADER", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
                 "CELERY_CUSTOM_WORKER_POOL", "CELERY_RDB_HOST", "CELERY_RDB_PORT", "CELERY_TRACE_APP",
                 "CELERY_BENCH", "WEB_CONCURRENCY", "DATABASE_URL", "REDIS_URL"}
# Where the environment is read, relative to the checkout (globs).
READERS = ("config/settings/*.py", "platform/*", "Makefile", "tests/perf/*.py")
# Modules outside those that read os.environ themselves.
DIRECT_READERS = ("reports/services.py", "accounts/management/commands/seed_demo.py",
                  "accounts/management/commands/seed_demo_accounts.py")
_NAME = re.compile(r"[\"'$]\{?([A-Z][A-Z0-9_]{2,})")


def reader_files(root: Path) -> list[Path]:
    files = [path for pattern in READERS for path in sorted(root.glob(pattern)) if path.is_file()]
    return files + [root / name for name in DIRECT_READERS]


def names_read(root: Path) -> set[str]:
    names = set(LIBRARY_NAMES)
    for path in reader_files(root):
        try:
            names.update(_NAME.findall(path.read_text(errors="replace")))
        except OSError:
            continue
    return names


def unknown_names(environ, known: set[str]) -> list[tuple[str, str | None]]:
    """(name, closest known name or None) for each variable that looks like ours but is read nowhere."""
    unknown = []
    for name in sorted(environ):
        base = name.removesuffix("_FILE")  # SECRET_KEY_FILE and the like: *_FILE secrets
        if not name.startswith(PREFIXES) or base in known:
            continue
        close = difflib.get_close_matches(base, sorted(known), n=1, cutoff=0.6)
        unknown.append((name, close[0] if close else None))
    return unknown


def unknown_env_names_check(app_configs=None, environ=None, **kwargs) -> list[checks.Warning]:
    environ = os.environ if environ is None else environ
    if not any(name.startswith(PREFIXES) for name in environ):
        return []
    return [
        checks.Warning(f"{name} is set in the environment but no setting reads it: ignored"
                       + (f" (did you mean {close}?)" if close else ""),
                       hint="Fix its name or unset it; docs/operations.md lists every setting.", id="platform.W001")
        for name, close in unknown_names(environ, names_read(Path(settings.BASE_DIR)))
    ]
