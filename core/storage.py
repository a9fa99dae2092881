"""The artifact store: every stored artifact goes in and out through here, on the filesystem or in S3.

Django's `default_storage` is FileSystemStorage (one machine, the default) or django-storages' S3Storage
(`ARTIFACT_STORAGE=s3`, many machines); which one is a setting (config/settings/storage.py). Stored names look like
`models/ab/abcdef...pt`: content-addressed, so the same bytes are stored once, whoever uploads them. Nothing
outside this module asks for a local path of a stored artifact: code that needs a file on disk asks the host's
artifact cache (core/artifact_cache.py), which copies it from here and verifies it.
"""
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_name(kind: str, sha256: str, suffix: str) -> str:
    return f"{kind}/{sha256[:2]}/{sha256}{suffix}"


def storage_is_local() -> bool:
    """Whether artifacts live on this machine's disk (one host only: other hosts cannot see them)."""
    return isinstance(default_storage, FileSystemStorage)


def artifact_store_file(*, path: Path, kind: str, suffix: str, sha256: str | None = None) -> tuple[str, str, int]:
    """Store the file at `path` under its content hash; returns (storage name, sha256, size). Idempotent."""
    sha256 = sha256 or sha256_of(path)
    name = content_name(kind, sha256, suffix)
    if not default_storage.exists(name):
        artifact_put(path=path, name=name)
    return name, sha256, default_storage.size(name)


def artifact_put(*, path: Path, name: str) -> int:
    """Store the file at `path` as `name`, replacing what was there; readers see the old or the new file, never
    half of one (an S3 PUT is atomic; on disk a temporary file is renamed). Streamed: never all in memory."""
    if storage_is_local():
        target = Path(default_storage.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(handle)
        try:
            shutil.copyfile(path, temporary)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target.stat().st_size
    with open(path, "rb") as handle:
        default_storage.save(name, File(handle))  # S3Storage: a multipart upload, file_overwrite=True keeps `name`
    return default_storage.size(name)


def artifact_put_bytes(*, name: str, data: bytes) -> None:
    """Store a small file (a chart, a CSV) as `name`, replacing what was there."""
    if storage_is_local():
        with tempfile.NamedTemporaryFile(delete=False) as handle:
            handle.write(data)
        try:
            artifact_put(path=Path(handle.name), name=name)
        finally:
            Path(handle.name).unlink(missing_ok=True)
        return
    default_storage.save(name, ContentFile(data))


def artifact_exists(name: str) -> bool:
    return bool(name) and default_storage.exists(name)


def artifact_size(name: str) -> int:
    return default_storage.size(name)


def artifact_read_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def artifact_fetch(*, name: str, target: Path) -> str:
    """Copy stored `name` into the local file `target`, streamed and hashed on the way (one pass: the artifact
    cache verifies without reading the file again); returns its SHA-256. FileNotFoundError when it is not stored."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(target, "wb") as sink:
        for chunk in artifact_stream(name, chunk_size=CHUNK):
            digest.update(chunk)
            sink.write(chunk)
    return digest.hexdigest()


def artifact_stream(name: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
    """The stored file's bytes in chunks (never the whole file in memory): a download the web host serves, a fetch
    into a host's cache (one GET on S3). FileNotFoundError when it is not stored."""
    if storage_is_local():
        with default_storage.open(name, "rb") as handle:
            yield from iter(lambda: handle.read(chunk_size), b"")
        return
    from botocore.exceptions import ClientError  # deferred: botocore (only the S3 store loads it)

    try:
        body = default_storage.bucket.Object(default_storage._normalize_name(name)).get()["Body"]
    except ClientError as exc:  # one exception for "not there" whichever the backend
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            raise FileNotFoundError(f"{name} is not in the artifact store") from exc
        raise
    try:
        yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


def artifact_delete(name: str) -> None:
    """Remove `name`, or everything stored under `name/` (a training run's folder). Missing is fine."""
    if not name:
        return
    if default_storage.exists(name) and not _is_folder(name):
        default_storage.delete(name)
        return
    for stored in artifact_list(name):
        default_storage.delete(stored)
    if storage_is_local():
        shutil.rmtree(default_storage.path(name), ignore_errors=True)


def artifact_list(prefix: str) -> list[str]:
    """Every stored name under the folder `prefix`, recursively."""
    names: list[str] = []
    try:
        folders, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return names
    names.extend(f"{prefix}/{file}" for file in files)
    for folder in folders:
        names.extend(artifact_list(f"{prefix}/{folder}"))
    return names


def _is_folder(name: str) -> bool:
    if storage_is_local():
        return Path(default_storage.path(name)).is_dir()
    return False  # S3 has no folders: an existing key is a file


def artifact_download_response(*, name: str, filename: str, content_type: str):
    """A download the web host streams from the store, chunk by chunk (the caller has checked permissions)."""
    response = StreamingHttpResponse(artifact_stream(name), content_type=content_type)
    response["Content-Length"] = str(artifact_size(name))
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
