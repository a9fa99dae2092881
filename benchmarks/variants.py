"""The engine variants a benchmark can measure: an inference engine, a precision, and the kind of file it runs.

A variant name is an engine name (`openvino-cpu`) or an engine with a precision suffix (`openvino-cpu-int8`).
The precision of a variant marked "" is the engine's own report after loading (OpenVINO's CPU plugin picks BF16 on
CPUs that have it; a TensorRT engine's precision is read from the built engine). `auto` measures every variant but
the ONNX Runtime TensorRT provider, which builds an engine for minutes on first load; ask for it by name.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    name: str
    engine: str
    precision: str  # "" = reported by the loaded engine
    source: str  # "pytorch" | "onnx" | "onnx-int8" | "tensorrt"


VARIANTS = {v.name: v for v in (
    Variant("pytorch-cpu", "pytorch-cpu", "fp32", "pytorch"),
    Variant("pytorch-cuda", "pytorch-cuda", "fp32", "pytorch"),
    Variant("pytorch-cuda-fp16", "pytorch-cuda-fp16", "fp16", "pytorch"),
    Variant("pytorch-cuda-fp16-graph", "pytorch-cuda-fp16-graph", "fp16", "pytorch"),
    Variant("onnxruntime-cpu", "onnxruntime-cpu", "fp32", "onnx"),
    Variant("onnxruntime-cuda", "onnxruntime-cuda", "fp32", "onnx"),
    Variant("onnxruntime-tensorrt", "onnxruntime-tensorrt", "fp16", "onnx"),
    Variant("openvino-cpu", "openvino-cpu", "", "onnx"),
    Variant("openvino-gpu", "openvino-gpu", "", "onnx"),
    Variant("tensorrt", "tensorrt", "", "tensorrt"),  # as the built engine says (inference/engines/tensorrt.py)
    Variant("onnxruntime-cpu-int8", "onnxruntime-cpu", "int8", "onnx-int8"),
    Variant("openvino-cpu-int8", "openvino-cpu", "int8", "onnx-int8"),
)}
AUTO = tuple(name for name in VARIANTS if name != "onnxruntime-tensorrt")

# Which model formats can feed which source kind (a PyTorch model converts to anything; an ONNX model can be
# quantized or built into TensorRT; a TensorRT engine runs only as itself).
SOURCES_FROM = {
    "pytorch": {"pytorch"},
    "onnx": {"pytorch", "onnx"},
    "onnx-int8": {"pytorch", "onnx"},
    "tensorrt": {"pytorch", "onnx", "tensorrt"},
}


def variants_for(names: list[str] | str) -> list[Variant]:
    return [VARIANTS[name] for name in (AUTO if names == "auto" else names)]
