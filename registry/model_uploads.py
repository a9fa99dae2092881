"""Model uploads on disk: a size-capped upload handler and a streaming copy into a scratch directory with hashing."""
import hashlib
import shutil
from pathlib import Path

from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from rest_framework import status
from rest_framework.exceptions import APIException

CHUNK = 1024 * 1024


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"

    def __init__(self, limit_mb: int):
        super().__init__(f"file: the upload is larger than the limit of {limit_mb} MB (MAX_MODEL_UPLOAD_MB).")


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams every upload to a temporary file and stops reading once the cap is passed (no whole-file memory)."""

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


def upload_save(*, uploaded, target: Path, max_bytes: int, limit_mb: int) -> tuple[str, int]:
    """Copy an UploadedFile to `target` in chunks; returns (sha256, size). Raises UploadTooLarge past the cap."""
    digest = hashlib.sha256()
    size = 0
    with open(target, "wb") as out:
        for chunk in uploaded.chunks(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise UploadTooLarge(limit_mb)
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def scratch_cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
