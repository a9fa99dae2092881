"""Step: the model version each variant runs (the sources: conversions reused or made now, INT8 quantized, in
sources.py), or the variant's row saying why it is not measured: an engine this worker cannot run, or a version the
request lacks the means for, is `unavailable`; a conversion that fails is `failed`. Neither fails the run.
"""
from ..models import ResultStatus
from ..sources import SourceFailed, SourceUnavailable, convert_inline, int8_version
from ..variants import SOURCES_FROM, variants_for


def versions_resolve(state) -> None:
    variants = variants_for(state.params["engines"])
    for index, variant in enumerate(variants):
        state.advance(index, len(variants))
        state.ctx.checkpoint()
        version = _version_or_row(state, variant)
        if version is not None:
            state.planned.append((variant, version))


def _version_or_row(state, variant):
    model, first_batch = state.run.model, state.params["batch_sizes"][0]
    info = state.available.get(variant.engine) or {"available": False, "reason": "unknown engine"}
    if not info["available"]:
        state.row(variant, first_batch, ResultStatus.UNAVAILABLE, info["reason"] or "unavailable")
        return None
    if model.format not in SOURCES_FROM[variant.source]:
        state.row(variant, first_batch, ResultStatus.UNAVAILABLE,
                  f"{variant.name} cannot run a {model.format} model (needs {variant.source})")
        return None
    try:
        return version_for(state, variant.source)
    except SourceFailed as exc:
        status = ResultStatus.UNAVAILABLE if isinstance(exc, SourceUnavailable) else ResultStatus.FAILED
        state.row(variant, first_batch, status, str(exc))
        return None


def version_for(state, kind: str):
    """The ModelVersion of source kind `kind` (once per kind and run); SourceFailed says why there is none."""
    if kind in state.versions:
        cached = state.versions[kind]
        if isinstance(cached, Exception):
            raise cached
        return cached
    try:
        state.versions[kind] = _resolve(state, kind)
    except SourceFailed as exc:
        state.versions[kind] = exc
        raise
    return state.versions[kind]


def _resolve(state, kind: str):
    run, imgsz = state.run, state.params["imgsz"]
    if kind == "pytorch" or run.model.format == kind:
        return run.model
    if kind in ("onnx", "tensorrt"):  # the registry's TensorRT build reuses an ONNX conversion of a .pt itself
        return convert_inline(source=run.model, target=kind, imgsz=imgsz, ctx=state.ctx, progress=state.progress,
                              worker=state.worker)
    if kind == "onnx-int8":
        if run.dataset is None:
            raise SourceUnavailable("INT8 needs a dataset to calibrate on (give `dataset`)")
        return int8_version(onnx=version_for(state, "onnx"), dataset=run.dataset, imgsz=imgsz, job=state.ctx.job,
                            progress=state.progress)
    raise SourceFailed(f"unknown source kind {kind!r}")
