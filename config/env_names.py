"""Reports environment variables that look like the platform's settings but are not read by it (a typo).

A misspelt name (JOB_STALE_AFTER_SECOND) is otherwise silently ignored and its default used. At start, every
variable whose name begins with one of our prefixes and is read nowhere gets a warning naming the closest name
that is read (difflib). The names read are taken from the sources themselves (string literals and ${NAME}
references in the project's Python files, platform/ and the Makefile), so a new setting needs no list to update.
"""
import difflib
import logging
import os
import re
from pathlib import Path

log = logging.getLogger("core.env")

PREFIXES = ("JOB_", "JOBS_", "TRAINING_", "INFERENCE_", "REDIS_", "CELERY_", "DATABASE_", "DB_", "WEB_", "REPORT_",
            "REPORTS_", "SEARCH_", "BENCHMARK_", "BENCH_", "UPLOAD_", "QUOTA_", "DATASET_", "MODEL_", "CONVERSION_",
            "JWT_", "METRICS_", "HEALTH_", "REAPER_", "MAX_", "PLATFORM_", "SECURE_", "LOGIN_", "SESSION_", "CSRF_",
            "CONTENT_SECURITY", "EMBEDDED_REDIS", "SECRET_KEY", "ALLOWED_HOSTS", "HOST_", "HARDWARE_")
# Read by the libraries we run, not by our sources.
LIBRARY_NAMES = {"CELERY_CONFIG_MODULE", "CELERY_LOADER", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
                 "CELERY_CUSTOM_WORKER_POOL", "CELERY_RDB_HOST", "CELERY_RDB_PORT", "CELERY_TRACE_APP",
                 "CELERY_BENCH", "WEB_CONCURRENCY", "DATABASE_URL", "REDIS_URL"}
_NAME = re.compile(r"[\"'$]\{?([A-Z][A-Z0-9_]{2,})")
_SKIP_DIRS = {".git", "var", "node_modules", "__pycache__", ".venv", "venv"}


def names_in_sources(root: Path) -> set[str]:
    names = set(LIBRARY_NAMES)
    files = [root / "Makefile", *(root / "platform").glob("*")]
    # Prune while walking: this runs at every process start, and var/ (uploads, extracted datasets) or a
    # virtualenv in the checkout can hold far more files than the sources.
    for directory, subdirs, filenames in os.walk(root):
        subdirs[:] = [name for name in subdirs if name not in _SKIP_DIRS]
        files += [Path(directory, name) for name in filenames if name.endswith(".py") and not name.startswith("test_")]
    for path in files:
        try:
            names.update(_NAME.findall(path.read_text(errors="replace")))
        except OSError:
            continue
    return names


def unknown_names(environ, known: set[str]) -> list[tuple[str, str | None]]:
    """(name, closest known name or None) for each variable that looks like ours but is read nowhere."""
    unknown = []
    for name in sorted(environ):
        base = name[:-5] if name.endswith("_FILE") else name  # SECRET_KEY_FILE and the like: *_FILE secrets
        if not name.startswith(PREFIXES) or base in known:
            continue
        close = difflib.get_close_matches(base, sorted(known), n=1, cutoff=0.6)
        unknown.append((name, close[0] if close else None))
    return unknown


def warn_unknown_settings(root: Path, environ=None) -> list[tuple[str, str | None]]:
    environ = os.environ if environ is None else environ
    if not any(name.startswith(PREFIXES) for name in environ):
        return []
    unknown = unknown_names(environ, names_in_sources(root))
    if unknown:
        listed = ", ".join(f"{name} (did you mean {close}?)" if close else name for name, close in unknown)
        log.warning("unknown setting names in the environment, ignored: %s", listed)
    return unknown
