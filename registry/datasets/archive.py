"""A dataset as one stored archive: packed once on upload (the validated tree, normalised), unpacked per host.

The archive holds the validated tree with the rebuilt data.yaml (relative split paths, no `path` key). A host
unpacks it into its artifact cache (core/artifact_cache.py) and rewrites data.yaml there with `path:` set to that
local folder, so ultralytics finds the splits on this host; no stored file names a local path.
"""
import os
import tempfile
import zipfile
from pathlib import Path

import yaml

from core.artifact_cache import Lease, host_artifact_cache
from core.storage import artifact_store_file
from ..models import Dataset

ARCHIVE_KIND = "datasets"
# Images are already compressed: storing them as they are packs and unpacks at disk speed.
_COMPRESSED = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


def dataset_archive_pack(*, root: Path, target: Path) -> None:
    """Zip the validated tree at `root` into `target` (sorted members, fixed timestamps: the same tree packs to the
    same bytes, so the same dataset is stored once)."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    with zipfile.ZipFile(target, "w") as archive:
        for path in files:
            member = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = (zipfile.ZIP_STORED if path.suffix.lower() in _COMPRESSED
                                    else zipfile.ZIP_DEFLATED)
            member.external_attr = 0o644 << 16
            with open(path, "rb") as source, archive.open(member, "w") as sink:
                while chunk := source.read(1024 * 1024):
                    sink.write(chunk)


def dataset_archive_store(*, root: Path) -> tuple[str, str, int]:
    """Pack a validated tree and store it: (storage name, archive SHA-256, size). For the upload pipeline, the
    test fixtures and the benchmarks (which make their datasets without an upload)."""
    with tempfile.TemporaryDirectory(prefix="dataset-pack-") as scratch:
        packed = Path(scratch) / "dataset.zip"
        dataset_archive_pack(root=root, target=packed)
        return artifact_store_file(path=packed, kind=ARCHIVE_KIND, suffix=".zip")


def dataset_archive_unpack(archive_path: Path, into: Path, final: Path) -> None:
    """Unpack a stored (already validated, hash-verified) archive into `into`, which becomes `final`; data.yaml
    then names `final` as its root."""
    with zipfile.ZipFile(archive_path) as archive:
        for member in archive.infolist():
            target = (into / member.filename).resolve()
            if not str(target).startswith(str(into.resolve()) + os.sep):  # packed by us, but never trust a path
                raise ValueError(f"archive member {member.filename!r} leaves the folder")
        archive.extractall(into)
    data_yaml = into / "data.yaml"
    data = yaml.safe_load(data_yaml.read_text()) or {}
    data["path"] = str(final)
    data_yaml.write_text(yaml.safe_dump(data, sort_keys=False))


def dataset_local(dataset: Dataset) -> Lease:
    """The dataset unpacked on this host (`lease.path / "data.yaml"` is ready for `YOLO.train(data=...)`); held
    until the lease is released or the process ends."""
    return host_artifact_cache().tree(name=dataset.archive, sha256=dataset.archive_sha256,
                                      unpack=dataset_archive_unpack)
