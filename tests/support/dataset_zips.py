"""Dataset zips for the upload tests: a tiny valid YOLO dataset as {name: bytes}, hostile variants, and
`dataset_upload`, which posts one to /api/datasets/."""
import io
import stat
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import pytest
from django.conf import settings

from registry.datasets.demo_data import write_demo_dataset


@lru_cache(maxsize=None)
def _demo_files(images: int, imgsz: int, seed: int) -> tuple:
    with tempfile.TemporaryDirectory() as scratch:
        root = write_demo_dataset(Path(scratch), images=images, imgsz=imgsz, seed=seed)
        return tuple((p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file())


def demo_files(images: int = 12, imgsz: int = 48, seed: int = 0) -> dict[str, bytes]:
    """A fresh, mutable copy of a tiny demo dataset: 12 images (3 val, 9 train) at 48 px."""
    return dict(_demo_files(images, imgsz, seed))


def make_zip(files: dict[str, bytes], *, extra: list[tuple[zipfile.ZipInfo, bytes]] = (),
             compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for info, data in extra:
            archive.writestr(info, data)
    return buffer.getvalue()


def symlink_member(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix: the mode bits in external_attr apply
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def dataset_upload(client, content: bytes, *, name: str = "shapes", filename: str = "data.zip",
                   shared: bool | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {"name": name, "file": SimpleUploadedFile(filename, content, content_type="application/zip")}
    if shared is not None:
        form["shared"] = "true" if shared else "false"
    return client.post("/api/datasets/", form, format="multipart")


def stored_files() -> set[str]:
    root = Path(settings.ARTIFACT_ROOT)
    return {p.relative_to(root).as_posix() for kind in ("datasets", "dataset-archives")
            for p in (root / kind).rglob("*") if p.is_file()} if root.exists() else set()


def scratch_entries() -> set[str]:
    return {p.name for p in Path(settings.SCRATCH_ROOT).iterdir()}


@pytest.fixture
def nothing_kept():
    """Call the returned function after a rejected upload: no row, no new stored file, no scratch left over."""
    from registry.models import Dataset

    files_before, scratch_before = stored_files(), scratch_entries()

    def check():
        assert not Dataset.objects.exists()
        assert stored_files() == files_before
        assert scratch_entries() == scratch_before

    return check
