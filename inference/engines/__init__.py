"""Inference engines by name, which of them this worker can run, and the default choice per model format (the
names, formats and default order are serving/engine_catalogue.py's, re-exported here)."""
from serving.engine_catalogue import DEFAULT_ORDER

from .base import Engine, EngineUnavailable
from .onnxruntime import OnnxRuntimeCpuEngine, OnnxRuntimeCudaEngine, OnnxRuntimeTensorrtEngine
from .openvino import OpenVinoCpuEngine, OpenVinoGpuEngine
from .pytorch import PytorchCpuEngine, PytorchCudaEngine, PytorchCudaFp16Engine, PytorchCudaFp16GraphEngine
from .tensorrt import TensorrtEngine

ENGINES: dict[str, type[Engine]] = {cls.name: cls for cls in (
    OnnxRuntimeCpuEngine, OnnxRuntimeCudaEngine, OnnxRuntimeTensorrtEngine, OpenVinoCpuEngine, OpenVinoGpuEngine,
    PytorchCpuEngine, PytorchCudaEngine, PytorchCudaFp16Engine, PytorchCudaFp16GraphEngine, TensorrtEngine)}

__all__ = ["ENGINES", "DEFAULT_ORDER", "Engine", "EngineUnavailable", "engines_available", "engine_choose"]


def engines_available() -> dict[str, dict]:
    """{name: {"available": bool, "reason": str | None, "formats": [...]}} for every engine."""
    report = {}
    for name, cls in ENGINES.items():
        ok, reason = cls.availability()
        report[name] = {"available": ok, "reason": None if ok else reason, "formats": list(cls.formats)}
    return report


def engine_choose(*, model_format: str, selected: str, available: set[str]) -> tuple[str | None, str]:
    """The engine to serve a model of `model_format` with, given the selection and the engines available.

    Returns (name, note): the selected engine when it is available and loads this format, else the first
    available default for the format (the note says why the selection was not used); (None, reason) when none.
    """
    if selected and selected in available and model_format in ENGINES[selected].formats:
        return selected, ""
    note = f"selected engine {selected!r} is not available here; using the default" if selected else ""
    for name in DEFAULT_ORDER.get(model_format, ()):
        if name in available:
            return name, note
    return None, f"no engine for {model_format} models is available"
