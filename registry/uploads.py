"""Uploads into the registry: one size cap per kind (MAX_DATASET_UPLOAD_MB, MAX_MODEL_UPLOAD_MB) and one 413.

The cap is checked three times, each as early as it can be: the declared Content-Length before the body is read,
every chunk while the multipart body streams in (an upload handler first in Django's chain), and the copy into
the scratch directory (a body some other code path already parsed).
"""
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from rest_framework import status
from rest_framework.exceptions import APIException

CHUNK = 1024 * 1024
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


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"

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
            raise UploadTooLarge(self.cap)
        return raw_data

    def file_complete(self, file_size):
        return None


def uploads_capped(request, *, cap: UploadCap) -> None:
    """Install the cap on a Django request; call from the view's `initialize_request`, before the body is read."""
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
        self.copy = tempfile.NamedTemporaryFile(dir=settings.SCRATCH_ROOT, prefix="upload-", suffix=".zip")
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
