"""Reads for serving: the choice that applies to a model on a hardware class, what a pool of that class loads for
it (the resolution), whether any live pool can serve it, and the choices as the model's API shows them."""
from core.errors import Conflict, Unavailable, Unprocessable
from registry.models import ModelVersion

from .engine_catalogue import DEFAULT_ORDER, ENGINE_FORMATS, engine_loads
from .models import EVERY_CLASS, ServingChoice
from .rules import serving_version_default

DEFAULT_IMGSZ = 640


class ModelUnservable(Unprocessable):
    """The model's file cannot be loaded by the engine that would serve it (marked by inference.services)."""


def serving_choice_for(*, model: ModelVersion, hardware_class: str) -> ServingChoice | None:
    """The class's own choice, else the every-class one, else None (the defaults serve)."""
    choices = {c.hardware_class: c for c in ServingChoice.objects.filter(
        model=model, hardware_class__in=[hardware_class, EVERY_CLASS]).select_related("version")}
    return choices.get(hardware_class) or choices.get(EVERY_CLASS)


def _candidates(model: ModelVersion, choice: ServingChoice | None, hardware_class: str) -> list[tuple]:
    """(version, engine) pairs that could serve `model`, preferred first: the choice, then the defaults (a .pt
    model's full-precision ONNX conversion, with that conversion's own choice for the class, and the .pt itself)."""
    selected = choice.engine if choice else ""
    chosen = [(choice.version, selected)] if choice and engine_loads(selected, choice.version.format) else []
    own = (model, selected if engine_loads(selected, model.format) else "")
    if model.format != "pytorch":
        return [*chosen, own]
    onnx = serving_version_default(model=model, formats=("onnx",))
    if onnx is None:
        return [*chosen, own]
    onnx_choice = serving_choice_for(model=onnx, hardware_class=hardware_class)
    onnx_engine = (onnx_choice.engine if onnx_choice and onnx_choice.version_id == onnx.pk
                   else (selected if engine_loads(selected, "onnx") else ""))
    return [*chosen, *([own, (onnx, onnx_engine)] if engine_loads(selected, "pytorch") else [(onnx, onnx_engine), own])]


def _servable_by(version: ModelVersion, available: set[str]) -> bool:
    return any(name in available for name in DEFAULT_ORDER.get(version.format, ()))


def serving_resolve(*, model: ModelVersion, hardware_class: str, available: set[str]) -> dict:
    """What a pool of `hardware_class` with the engines `available` loads for `model`; 409 when it can load none."""
    choice = serving_choice_for(model=model, hardware_class=hardware_class)
    for version, engine in _candidates(model, choice, hardware_class):
        if _servable_by(version, available):
            if version.metadata.get("unservable"):
                raise ModelUnservable(version.metadata["unservable"])
            return {"model_id": version.pk, "requested_id": model.pk, "format": version.format,
                    "file": version.file, "sha256": version.sha256, "engine": engine, "hardware_class": hardware_class,
                    "choice": ({"hardware_class": choice.hardware_class, "engine": choice.engine,
                                "benchmark": choice.benchmark_id} if choice else None),
                    "default_imgsz": version.input_size or model.input_size or DEFAULT_IMGSZ,
                    "class_names": list(version.class_names or model.class_names or [])}
    raise Conflict(f"Model {model.pk} is a {model.format} model and no engine for that format is available on "
                   f"this inference worker. Convert it to ONNX to serve it on any worker: "
                   f'POST /api/models/{model.parent_id if model.format == "tensorrt" and model.parent_id else model.pk}'
                   '/convert/ {"target": "onnx"}.')


def serving_check_servable(*, model: ModelVersion, pools: list[dict]) -> None:
    """503 when no pool runs; 409 naming the unavailable engines when no live pool can serve `model` (each pool
    resolves the model for its own hardware class)."""
    if not pools:
        raise Unavailable("No inference pool process is running (start `python manage.py inference_pool`).")
    if model.metadata.get("unservable"):  # a pool could not load it before: 422 without another trip to the pool
        raise ModelUnservable(model.metadata["unservable"])
    conflict = None
    for key in {(p.get("hardware_class") or "", frozenset(n for n, i in p.get("engines", {}).items()
                                                          if i.get("available"))) for p in pools}:
        try:
            serving_resolve(model=model, hardware_class=key[0], available=set(key[1]))
            return
        except Conflict as exc:
            conflict = exc
    reasons = sorted({f"{name}: {info.get('reason')}" for pool in pools
                      for name, info in pool.get("engines", {}).items()
                      if model.format in ENGINE_FORMATS.get(name, ENGINE_FORMATS["onnxruntime-cpu"])
                      and not info.get("available")})
    raise Conflict(f"{conflict.message} ({'; '.join(reasons) or 'no engine'})")
