"""Model files for the registry's model tests: an ONNX export of the tiny model, hostile and broken checkpoints, and
POST /api/models/ with one (`model_upload`)."""
import io
import os
import pickle
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.environment import RUN_DIR


@pytest.fixture(scope="session")
def tiny_onnx(tiny_weights) -> Path:
    """The tiny trained model exported to ONNX at imgsz 64 (once per session)."""
    from registry.conversions.onnx import onnx_export

    path, _, _ = onnx_export(weights=tiny_weights, workdir=RUN_DIR / "tiny-onnx", imgsz=64, opset=None,
                             dynamic=False, simplify=True)
    return path


def resaved_checkpoint(weights: Path, target: Path, **changes) -> Path:
    """The same (trusted, test-made) checkpoint with some entries changed: different bytes, still valid."""
    import torch

    ckpt = torch.load(weights, map_location="cpu", weights_only=False)
    ckpt.update(changes)
    torch.save(ckpt, target)
    return target


def as_upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or Path(path).name, Path(path).read_bytes(), "application/octet-stream")


def bytes_upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "application/octet-stream")


def model_upload(client, file, name: str = "detector", **fields):
    return client.post("/api/models/", {"name": name, "file": file, **fields}, format="multipart")


class CanaryCommand:
    """Unpickling this runs a shell command that creates the canary file."""

    def __init__(self, canary: Path):
        self.canary = canary

    def __reduce__(self):
        return os.system, (f"touch {self.canary}",)


class CanaryOpen:
    """Unpickling this opens (creates) the canary file for writing."""

    def __init__(self, canary: Path):
        self.canary = canary

    def __reduce__(self):
        import builtins

        return builtins.open, (str(self.canary), "w")


def torch_saved(obj) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def raw_pickle(obj) -> bytes:
    return pickle.dumps(obj, protocol=2)
