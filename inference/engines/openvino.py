"""OpenVINO engines: an ONNX file read and compiled by OpenVINO for its CPU plugin (and its GPU plugin where present).

OpenVINO's CPU plugin picks its own inference precision: BF16 on CPUs with AMX/AVX-512 BF16, FP32 elsewhere, and
INT8 for a QDQ-quantized ONNX. `describe()` reports what the compiled model really runs (`precision`), so
benchmarks and accuracy comparisons never call a BF16 engine FP32. INFERENCE_OPENVINO_PRECISION ("" = the plugin's
choice, "f32", "bf16", "f16") pins it.
"""
from pathlib import Path

import numpy as np
from django.conf import settings

from .base import Engine


class OpenVinoEngine(Engine):
    formats = ("onnx",)
    plugin = "CPU"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import openvino  # deferred: openvino
        except ImportError:
            return False, "openvino is not installed"
        try:
            devices = openvino.Core().available_devices
        except Exception as exc:  # a broken plugin must not break the probe
            return False, f"OpenVINO could not list its devices: {exc}"
        if not any(device.split(".")[0] == cls.plugin for device in devices):
            return False, f"OpenVINO {openvino.__version__} has no {cls.plugin} device on this worker ({devices})"
        return True, ""

    def compile_config(self) -> dict:
        config = {"PERFORMANCE_HINT": "LATENCY"}
        precision = settings.INFERENCE_OPENVINO_PRECISION
        if precision:
            config["INFERENCE_PRECISION_HINT"] = precision
        threads = settings.INFERENCE_ORT_THREADS  # one thread budget for every CPU engine
        if threads and self.plugin == "CPU":
            config["INFERENCE_NUM_THREADS"] = threads
        return config

    def _load(self, path: Path, device: str) -> None:
        import openvino  # deferred: openvino

        core = openvino.Core()
        model = core.read_model(str(path))
        self.compiled = core.compile_model(model, self.plugin, self.compile_config())
        self.request = self.compiled.create_infer_request()
        model_input = self.compiled.inputs[0]
        shape = model_input.get_partial_shape()
        self.input_shape = tuple(int(d.get_length()) if d.is_static else None for d in shape)
        self.output = self.compiled.outputs[0]
        self.quantized = _quantized(model)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        # A fresh copy of the output: the request's buffer is reused by the next run.
        return np.array(self.request.infer({0: np.ascontiguousarray(batch)})[self.output], copy=True)

    @property
    def precision(self) -> str:
        """What the compiled model computes in: its INFERENCE_PRECISION_HINT (bf16/f32/f16), or int8 if quantized."""
        if not hasattr(self, "compiled"):
            return ""
        if self.quantized:
            return "int8"
        try:
            hint = self.compiled.get_property("INFERENCE_PRECISION_HINT")
        except Exception:
            return "unknown"
        return {"f32": "fp32", "f16": "fp16", "bf16": "bf16"}.get(hint.get_type_name(), hint.get_type_name())

    def describe(self) -> dict:
        return {**super().describe(), "plugin": self.plugin, "precision": self.precision}


def _quantized(model) -> bool:
    """A QDQ ONNX read by OpenVINO holds FakeQuantize ops, or int8/uint8 weight constants feeding a Convert."""
    for op in model.get_ops():
        kind = op.get_type_name()
        if kind == "FakeQuantize":
            return True
        if kind == "Convert":
            source = op.input_value(0).get_node()
            if source.get_type_name() == "Constant" and source.get_element_type().get_type_name() in ("i8", "u8"):
                return True
    return False


class OpenVinoCpuEngine(OpenVinoEngine):
    name = "openvino-cpu"
    device = "cpu"
    plugin = "CPU"


class OpenVinoGpuEngine(OpenVinoEngine):
    """OpenVINO's GPU plugin (Intel GPUs through OpenCL/Level Zero); NVIDIA GPUs are not among its devices."""

    name = "openvino-gpu"
    device = "gpu"
    plugin = "GPU"
