"""Where files live: the artifact store (this disk or S3), each host's verified artifact cache, and the scratch
space that uploads stream into."""
from pathlib import Path

from core.env import ImproperlyConfiguredEnv, env_bool, env_float, env_int, env_str

from .base import VAR_DIR

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
# `manage.py storage_check` (run at start) creates a missing bucket instead of failing: opt-in, as a misspelt
# ARTIFACT_S3_BUCKET would otherwise quietly become a new, empty bucket.
ARTIFACT_S3_CREATE_BUCKET = env_bool("ARTIFACT_S3_CREATE_BUCKET", False)
# How long the start check waits for an S3 endpoint that does not answer yet (a store starting beside this host).
ARTIFACT_S3_WAIT_SECONDS = env_float("ARTIFACT_S3_WAIT_SECONDS", 30.0, minimum=0.0)
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
