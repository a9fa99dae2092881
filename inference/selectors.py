"""Reads for serving: which model a user may call, and what serves it (version, format, file, engine).

"Servable" means: an ONNX version (ONNX Runtime), a PyTorch version (its newest ONNX conversion if there is one,
else the PyTorch engine), or a TensorRT engine file (native TensorRT) — on at least one live pool process that
has an engine for that format. Otherwise 409 says how to convert.
"""

from rest_framework import exceptions, status

from config.exceptions import Conflict, ServiceUnavailable
from registry.model_selectors import model_get_visible
from registry.models import ModelVersion

from .engines import DEFAULT_ORDER, ENGINES


DEFAULT_IMGSZ = 640


class ModelUnservable(exceptions.APIException):
    """The model's file cannot be loaded by the engine that would serve it (marked by inference.services)."""
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "model_unservable"


def inference_model_get(*, user, model_id: int) -> ModelVersion:
    return model_get_visible(user=user, model_id=model_id)


def _loads(engine: str, model_format: str) -> bool:
    return engine in ENGINES and model_format in ENGINES[engine].formats


def _candidates(model: ModelVersion) -> list[tuple[ModelVersion, str]]:
    """(version, selected engine) pairs that could serve `model`, preferred first.

    A serving selection (a benchmark's or one set by hand) names the engine and the version it serves (this one, or
    a conversion of it such as the INT8 ONNX); it comes first, the defaults follow as fallbacks.
    """
    selected = model.selected_engine
    chosen = []
    if selected and model.serving_version_id and _loads(selected, model.serving_version.format):
        chosen = [(model.serving_version, selected)]
    if model.format == "pytorch":
        onnx = (ModelVersion.objects.filter(parent=model, format="onnx").order_by("-created_at", "-pk").first())
        pytorch = (model, selected if _loads(selected, "pytorch") else "")
        if onnx is None:
            return [*chosen, pytorch]
        onnx_pair = (onnx, onnx.selected_engine or (selected if _loads(selected, "onnx") else ""))
        return [*chosen, *([pytorch, onnx_pair] if _loads(selected, "pytorch") else [onnx_pair, pytorch])]
    return [*chosen, (model, selected if _loads(selected, model.format) else "")]


def _target(version: ModelVersion, selected: str, requested: ModelVersion) -> dict:
    return {"model_id": version.pk, "requested_id": requested.pk, "format": version.format,
            "file": version.file, "sha256": version.sha256, "engine": selected,
            "default_imgsz": version.input_size or requested.input_size or DEFAULT_IMGSZ,
            "class_names": list(version.class_names or requested.class_names or [])}


def inference_target(*, model: ModelVersion, pools: list[dict]) -> dict:
    """What serves `model` given the live pools' engines: 503 when no pool runs, 409 when none can serve it."""
    if not pools:
        raise ServiceUnavailable("No inference pool process is running (start `python manage.py inference_pool`).")
    available = {name for pool in pools for name, info in pool.get("engines", {}).items() if info.get("available")}
    for version, selected in _candidates(model):
        if any(name in available for name in DEFAULT_ORDER.get(version.format, ())):
            if version.metadata.get("unservable"):
                raise ModelUnservable(version.metadata["unservable"])
            return _target(version, selected, model)
    reasons = sorted({f"{name}: {info.get('reason')}" for pool in pools for name, info in pool.get("engines", {}).items()
                      if model.format in ENGINES.get(name, ENGINES["onnxruntime-cpu"]).formats
                      and not info.get("available")})
    source = model.parent_id if model.format == "tensorrt" and model.parent_id else model.pk
    raise Conflict(f"Model {model.pk} is a {model.format} model and no inference worker can serve that format "
                   f"({'; '.join(reasons) or 'no engine'}). Convert it to ONNX to serve it on any worker: "
                   f'POST /api/models/{source}/convert/ {{"target": "onnx"}}.')


def inference_target_for_preload(*, model_id: int) -> dict:
    from .engines import engines_available

    model = ModelVersion.objects.get(pk=model_id)
    pool = {"engines": engines_available()}
    return inference_target(model=model, pools=[pool])
