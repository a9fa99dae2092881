"""Artifact files under ARTIFACT_ROOT through Django's storage API: atomic, content-addressed writes.

Names look like `models/ab/abcdef...pt`: the same bytes are stored once, whoever uploads them.
"""
import hashlib
import shutil
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_name(kind: str, sha256: str, suffix: str) -> str:
    return f"{kind}/{sha256[:2]}/{sha256}{suffix}"


def artifact_store_file(*, path: Path, kind: str, suffix: str, sha256: str | None = None) -> tuple[str, str, int]:
    """Store the file at `path` under its content hash; returns (storage name, sha256, size). Idempotent."""
    sha256 = sha256 or sha256_of(path)
    name = content_name(kind, sha256, suffix)
    if not default_storage.exists(name):
        with open(path, "rb") as handle:
            saved = default_storage.save(name, File(handle))  # FileSystemStorage writes to a temp file, then moves
        if saved != name:  # a concurrent writer stored the same content first: keep one copy
            default_storage.delete(saved)
    return name, sha256, default_storage.size(name)


def artifact_store_tree(*, source: Path, kind: str, key: str) -> str:
    """Move an extracted directory into storage as `kind/key/` (local storage only: datasets are trees)."""
    name = f"{kind}/{key}"
    target = Path(default_storage.path(name))
    if target.exists():
        shutil.rmtree(source, ignore_errors=True)
        return name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(target))
    return name


def artifact_path(name: str) -> Path:
    return Path(default_storage.path(name))


def artifact_delete(name: str) -> None:
    if not name:
        return
    path = artifact_path(name)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif default_storage.exists(name):
        default_storage.delete(name)
