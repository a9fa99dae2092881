"""Writes for model versions: upload (.pt inspected in a sandbox, .onnx checked), presets, registration, delete.

`model_version_register` is the one way a model file becomes a version (uploads, presets, conversions and
training all use it): the file is stored content-addressed, the version is the next for owner + name.
"""
import logging
import tempfile
from pathlib import Path

from django.db import IntegrityError, transaction

from accounts.visibility import check_can_modify
from core.deletion import delete_or_conflict
from core.errors import Invalid, QuotaExceeded
from core.storage import artifact_delete, artifact_store_file, sha256_of
from .inspection.onnx_inspect import OnnxInspectionError, onnx_describe
from .inspection.sandbox import (PtInspectionError, onnx_load_in_subprocess,
                                                        pt_inspect_in_subprocess)
from ..models import ModelFormat, ModelSource, ModelVersion
from ..uploads import (MODEL_CAP, scratch_cleanup, scratch_dir, upload_quota_check, upload_quota_check_locked,
                              upload_save)

from . import selectors as model_selectors
from .presets import UnknownPreset, preset_build

log = logging.getLogger(__name__)

SUFFIXES = {ModelFormat.PYTORCH: ".pt", ModelFormat.ONNX: ".onnx", ModelFormat.TENSORRT: ".engine"}
UPLOAD_FORMATS = {".pt": ModelFormat.PYTORCH, ".pth": ModelFormat.PYTORCH, ".onnx": ModelFormat.ONNX}
# metadata keys that are columns of their own
DEFAULT_IMGSZ = 640  # the test run of an .onnx with free spatial dimensions
COLUMNS = ("task", "class_names", "input_size", "parameters", "gflops")


def model_version_register(*, owner, name: str, format: str, source: str, path: Path, shared: bool = False,
                           task: str = "detect", class_names=None, input_size: int | None = None,
                           parameters: int | None = None, gflops: float | None = None, metadata: dict | None = None,
                           parent: ModelVersion | None = None, dataset=None, job=None,
                           hyperparameters: dict | None = None, metrics: dict | None = None,
                           sha256: str | None = None, upload_quota: bool = False) -> ModelVersion:
    """Store the file at `path` and create the next version of `name` for `owner`. `upload_quota`: check the
    owner's storage quota in the creating transaction, with the owner's row locked (an upload)."""
    stored, sha256, size = artifact_store_file(path=Path(path), kind="models", suffix=SUFFIXES[format],
                                               sha256=sha256)
    for attempt in range(5):  # two registrations of one name at once: the unique constraint picks, we retry
        try:
            with transaction.atomic():
                if upload_quota:
                    try:
                        upload_quota_check_locked(user=owner, incoming_bytes=size)
                    except QuotaExceeded:
                        if not ModelVersion.objects.filter(file=stored).exists():
                            artifact_delete(stored)
                        raise
                version = ModelVersion.objects.create(
                    name=name, version=model_selectors.model_next_version(owner=owner, name=name), owner=owner,
                    shared=shared, format=format, source=source, task=task or "detect",
                    class_names=list(class_names or []), input_size=input_size, parameters=parameters,
                    gflops=gflops, file=stored, file_size=size, sha256=sha256, metadata=metadata or {},
                    parent=parent, dataset=dataset, job=job, hyperparameters=hyperparameters or {},
                    metrics=metrics or {})
                return version
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _split(described: dict) -> tuple[dict, dict]:
    columns = {key: described.get(key) for key in COLUMNS}
    extra = {key: value for key, value in described.items() if key not in COLUMNS}
    return columns, extra


def model_upload(*, owner, name: str, uploaded, shared: bool = False) -> tuple[ModelVersion, bool]:
    """Register an uploaded `.pt` or `.onnx`; returns (version, created). Same owner + name + bytes → existing."""
    suffix = Path(uploaded.name or "").suffix.lower()
    format = UPLOAD_FORMATS.get(suffix)
    if format is None:
        raise Invalid(errors={"file": [f"unsupported file type {suffix or '(none)'!r}: upload an ultralytics .pt "
                                       f"checkpoint or an .onnx model"]})
    scratch = scratch_dir("model-upload")
    try:
        target = scratch / f"upload{SUFFIXES[format]}"
        sha256, size = upload_save(uploaded=uploaded, target=target, cap=MODEL_CAP)
        if size == 0:
            raise Invalid(errors={"file": ["the file is empty"]})
        existing = ModelVersion.objects.filter(owner=owner, name=name, sha256=sha256).order_by("version").first()
        if existing is not None:
            return existing, False
        upload_quota_check(user=owner, incoming_bytes=size)  # 429 before the inspection
        # an .onnx is always checked again: its checks grew (issue 21), and bytes stored before must not skip them
        earlier = _described_before(sha256=sha256, format=format) if format == ModelFormat.PYTORCH else None
        described = earlier or _inspect(owner=owner, path=target, format=format)
        columns, extra = _split(described)
        extra["original_filename"] = Path(uploaded.name).name[:200]
        model = model_version_register(owner=owner, name=name, format=format, source=ModelSource.UPLOAD,
                                       path=target, shared=shared, metadata=extra, sha256=sha256,
                                       upload_quota=True, **columns)
        return model, True
    finally:
        scratch_cleanup(scratch)


def _inspect(*, owner, path: Path, format: str) -> dict:
    """The file's metadata: a .pt inspected in the sandbox, an .onnx read with onnx; a 400 when refused."""
    if format == ModelFormat.PYTORCH:
        try:
            return pt_inspect_in_subprocess(path=path)
        except PtInspectionError as exc:
            log.warning("refused a .pt upload by %s: %s (%s)", owner, exc, exc.kind)
            raise Invalid(errors={"file": [f"refused: {exc}"]}) from None
    try:
        described = onnx_describe(path=path)
        onnx_load_in_subprocess(path=path, imgsz=described["input_size"] or DEFAULT_IMGSZ)
        return described
    except OnnxInspectionError as exc:
        raise Invalid(errors={"file": [f"refused: {exc}"]}) from None


def _described_before(*, sha256: str, format: str) -> dict | None:
    """What an earlier inspection of these exact bytes found (an upload under another name or by another user):
    the result depends only on the bytes, so the sandbox (seconds: it imports torch) is not run again."""
    earlier = (ModelVersion.objects.filter(sha256=sha256, format=format, source=ModelSource.UPLOAD)
               .order_by("pk").first())
    if earlier is None:
        return None
    metadata = {key: value for key, value in earlier.metadata.items() if key != "original_filename"}
    return {**metadata, **{key: getattr(earlier, key) for key in COLUMNS}}


def model_preset_create(*, owner, name: str, preset: str, shared: bool = False) -> tuple[ModelVersion, bool]:
    """Build a preset from its YAML (random initial weights) and register it as a PyTorch checkpoint."""
    scratch = Path(tempfile.mkdtemp(prefix="model-preset-"))
    try:
        try:
            path, described = preset_build(preset=preset, directory=scratch)
        except UnknownPreset as exc:
            raise Invalid(errors={"preset": [str(exc)]}) from None
        columns, extra = _split(described)
        extra.update(preset=preset, random_init=True,
                     note=f"built offline from {preset}.yaml with random initial weights: not pretrained")
        model = model_version_register(owner=owner, name=name, format=ModelFormat.PYTORCH,
                                       source=ModelSource.PRESET, path=path, shared=shared, metadata=extra,
                                       sha256=sha256_of(path), **columns)
        return model, True
    finally:
        scratch_cleanup(scratch)


def model_delete(*, user, model: ModelVersion) -> None:
    """Delete a version and its file (unless other versions hold the same bytes). Owner or admin; 409 naming the
    conversions, training runs, derived versions and other rows that use it (their PROTECT foreign keys)."""
    check_can_modify(model, user, action="delete")
    file_name = model.file
    shared_file = model_selectors.model_file_in_use_elsewhere(model=model)
    with transaction.atomic():
        delete_or_conflict(model)  # the inference pools hear of it through serving/receivers.py
        if not shared_file:
            transaction.on_commit(lambda: artifact_delete(file_name))
