"""Uploads into the registry: one size cap per kind (MAX_DATASET_UPLOAD_MB, MAX_MODEL_UPLOAD_MB) and one 413.

The cap is checked three times, each as early as it can be: the declared Content-Length before the body is read,
every chunk while the multipart body streams in (an upload handler first in Django's chain), and the copy into
the scratch directory (a body some other code path already parsed).

Scratch files of an upload carry their process id in their name (`upload-<pid>-…`, `dataset-<pid>-…`,
`model-upload-<pid>-…`): they are removed on every exit path of the request (a refusal mid-stream included), and
what a killed process could not remove is swept (`scratch_sweep`: the owner is dead, or the file is older than
UPLOAD_SCRATCH_MAX_AGE_HOURS) by every new web worker (platform/gunicorn.conf.py post_worker_init).
"""
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, TemporaryFileUploadHandler
from django.db.models import Sum

from core.errors import QuotaExceeded, TooLarge
from jobs.quota import quota_exempt

from .models import Dataset, ModelVersion

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# scratch entries that name the process that made them; Django's own temporary files (tmpXXXX.upload.zip) are
# swept by age only
OWNED = re.compile(r"^(?:upload|dataset|model-upload)-(?P<pid>\d+)-")
DJANGO_TEMP = re.compile(r"^tmp[\w]+\.upload")
FORM_SLACK = 1024 * 1024  # room in the declared length for the multipart envelope and the other fields


@dataclass(frozen=True)
class UploadCap:
    setting: str  # the setting holding the limit in MB

    @property
    def limit_mb(self) -> int:
        return getattr(settings, self.setting)

    @property
    def max_bytes(self) -> int:
        return self.limit_mb * 1024 * 1024


DATASET_CAP = UploadCap("MAX_DATASET_UPLOAD_MB")
MODEL_CAP = UploadCap("MAX_MODEL_UPLOAD_MB")


class UploadTooLarge(TooLarge):
    def __init__(self, cap: UploadCap):
        super().__init__(f"file: the upload is larger than the limit of {cap.limit_mb} MB ({cap.setting}).")


class CappedUploadHandler(FileUploadHandler):
    """First in the handler chain: stops a multipart upload as soon as it passes the cap, before the rest is
    streamed to disk. Passes the bytes on unchanged otherwise."""

    def __init__(self, request=None, *, cap: UploadCap):
        super().__init__(request)
        self.cap = cap

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.cap.max_bytes + FORM_SLACK:
            raise UploadTooLarge(self.cap)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.cap.max_bytes:
            # Django's parser only cleans up after its own StopUpload: remove the partial file now
            for handler in self.request.upload_handlers:
                if handler is not self:
                    handler.upload_interrupted()
            raise UploadTooLarge(self.cap)
        return raw_data

    def file_complete(self, file_size):
        return None


class OwnedTemporaryUploadedFile(TemporaryUploadedFile):
    """Django's temporary upload file, named after the process writing it (see scratch_sweep)."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        file = tempfile.NamedTemporaryFile(prefix=f"upload-{os.getpid()}-", suffix=".upload" + Path(name).suffix,
                                           dir=settings.FILE_UPLOAD_TEMP_DIR)
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)


class OwnedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, *args, **kwargs):
        FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = OwnedTemporaryUploadedFile(self.file_name, self.content_type, 0, self.charset,
                                               self.content_type_extra)


def uploads_capped(request, *, cap: UploadCap) -> None:
    """Install the cap on a Django request; call from the view's `initialize_request`, before the body is read.
    Uploads that stream to disk go to files named after this process."""
    request.upload_handlers = [OwnedTemporaryFileUploadHandler(request)
                               if type(handler) is TemporaryFileUploadHandler else handler
                               for handler in request.upload_handlers]
    request.upload_handlers.insert(0, CappedUploadHandler(request, cap=cap))


def upload_save(*, uploaded, target: Path, cap: UploadCap) -> tuple[str, int]:
    """Copy an UploadedFile to `target` in chunks; returns (sha256, size). UploadTooLarge past the cap."""
    digest = hashlib.sha256()
    size = 0
    with open(target, "wb") as out:
        for chunk in uploaded.chunks(CHUNK):
            size += len(chunk)
            if size > cap.max_bytes:
                raise UploadTooLarge(cap)
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


class UploadOnDisk:
    """The upload as a path: Django's temporary file when it streamed to disk, else a scratch copy."""

    def __init__(self, upload):
        self.upload = upload
        self.copy = None

    def __enter__(self) -> Path:
        if hasattr(self.upload, "temporary_file_path"):
            return Path(self.upload.temporary_file_path())
        self.copy = tempfile.NamedTemporaryFile(dir=settings.SCRATCH_ROOT, prefix=f"upload-{os.getpid()}-",
                                                suffix=".zip")
        for chunk in self.upload.chunks():
            self.copy.write(chunk)
        self.copy.flush()
        return Path(self.copy.name)

    def __exit__(self, *exc):
        if self.copy is not None:
            self.copy.close()
        self.upload.close()  # deletes Django's temporary file
        return False


def scratch_cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def scratch_dir(kind: str) -> Path:
    """A fresh scratch directory for one upload, under SCRATCH_ROOT and named after this process."""
    root = Path(settings.SCRATCH_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-", dir=root))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def scratch_sweep(*, root: Path | None = None, now: float | None = None) -> list[str]:
    """Remove the upload scratch a killed process left in SCRATCH_ROOT: entries whose owner process is gone, and any
    upload entry older than UPLOAD_SCRATCH_MAX_AGE_HOURS (a reused pid, Django's own temporary names). Returns the
    names removed. Conversion scratch has its own sweep (registry/conversions/runner.py)."""
    root = Path(root or settings.SCRATCH_ROOT)
    now = time.time() if now is None else now
    max_age = settings.UPLOAD_SCRATCH_MAX_AGE_HOURS * 3600
    removed = []
    for entry in root.iterdir() if root.is_dir() else ():
        owned = OWNED.match(entry.name)
        if not owned and not DJANGO_TEMP.match(entry.name):
            continue
        try:
            old = now - entry.lstat().st_mtime > max_age
        except FileNotFoundError:
            continue
        if old or (owned and int(owned["pid"]) != os.getpid() and not _alive(int(owned["pid"]))):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
    if removed:
        log.warning("removed %d upload scratch entries left by stopped processes: %s", len(removed),
                    ", ".join(removed[:10]))
    return removed


# --- the upload quota (QUOTA_UPLOAD_MB): checked by the dataset and model upload services ---

def stored_bytes(*, user) -> int:
    """Bytes the user's datasets (archives) and model versions occupy in storage."""
    datasets = Dataset.objects.filter(owner=user).aggregate(total=Sum("size_bytes"))["total"] or 0
    models = ModelVersion.objects.filter(owner=user).aggregate(total=Sum("file_size"))["total"] or 0
    return datasets + models


def upload_quota_check_locked(*, user, incoming_bytes: int) -> None:
    """upload_quota_check with the user's row locked: call inside the transaction that creates the upload's row,
    so two uploads at the quota's edge cannot both pass (the second waits for the first's row, then counts it).
    SQLite has no row locks, but its IMMEDIATE transactions (config/settings/database.py) serialise the same way."""
    if not settings.QUOTA_UPLOAD_MB or quota_exempt(user):
        return
    list(type(user).objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    upload_quota_check(user=user, incoming_bytes=incoming_bytes)


def upload_quota_check(*, user, incoming_bytes: int) -> None:
    """429 when storing `incoming_bytes` more would take `user` past QUOTA_UPLOAD_MB."""
    limit_mb = settings.QUOTA_UPLOAD_MB
    if not limit_mb or quota_exempt(user):
        return
    used = stored_bytes(user=user)
    if used + incoming_bytes > limit_mb * 1024 * 1024:
        raise QuotaExceeded(f"Storage quota reached: you store {used / 2**20:.1f} MB and this upload adds "
                            f"{incoming_bytes / 2**20:.1f} MB, over the limit of {limit_mb} MB per user "
                            "(QUOTA_UPLOAD_MB). Delete datasets or models you no longer need.")
