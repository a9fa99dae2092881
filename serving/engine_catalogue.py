"""The inference engines by name, the model formats each loads, and the default order per format: pure data that
serving (which chooses an engine) and inference (which runs it: inference/engines/, whose classes carry the same
names and formats, checked by inference/tests/test_engine_catalogue.py) share. Serving sits below inference."""

ENGINE_FORMATS: dict[str, tuple[str, ...]] = {
    "onnxruntime-cpu": ("onnx",),
    "onnxruntime-cuda": ("onnx",),
    "onnxruntime-tensorrt": ("onnx",),
    "openvino-cpu": ("onnx",),
    "openvino-gpu": ("onnx",),
    "pytorch-cpu": ("pytorch",),
    "pytorch-cuda": ("pytorch",),
    "pytorch-cuda-fp16": ("pytorch",),
    "pytorch-cuda-fp16-graph": ("pytorch",),
    "tensorrt": ("tensorrt",),
}

# The default engine for a format is the first available one here. ORT's TensorRT provider is left out of the
# default: it builds an engine for minutes on first load, so it serves only when a model selects it.
DEFAULT_ORDER = {
    "onnx": ("onnxruntime-cuda", "onnxruntime-cpu", "openvino-cpu"),
    "pytorch": ("pytorch-cuda", "pytorch-cpu"),
    "tensorrt": ("tensorrt",),
}


def engine_loads(engine: str, model_format: str) -> bool:
    """Whether `engine` is a known engine that loads models of `model_format`."""
    return model_format in ENGINE_FORMATS.get(engine, ())
