"""ONNX Runtime engines: CPU, and the CUDA and TensorRT execution providers where onnxruntime-gpu and a GPU exist."""
from pathlib import Path

import numpy as np
from django.conf import settings

from core.hardware import gpu_present as _gpu_present

from .base import Engine, EngineUnavailable


class ProviderFallback(EngineUnavailable):
    """ONNX Runtime created the session without the provider asked for (it falls back to the CPU silently): this
    worker cannot run the engine, whatever the model (a host's fault, not the file's)."""


class OnnxRuntimeEngine(Engine):
    formats = ("onnx",)
    provider = "CPUExecutionProvider"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import onnxruntime  # deferred: onnxruntime
        except ImportError:
            return False, "onnxruntime is not installed"
        if cls.provider not in onnxruntime.get_available_providers():
            return False, (f"onnxruntime {onnxruntime.__version__} has no {cls.provider} "
                           "(install onnxruntime-gpu on a host with a CUDA GPU)")
        return (True, "") if cls.provider == "CPUExecutionProvider" else _gpu_present()

    def session_options(self):
        import onnxruntime  # deferred: onnxruntime

        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        threads = settings.INFERENCE_ORT_THREADS
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if not settings.INFERENCE_ORT_SPIN:
            # Idle intra-op threads otherwise spin after each run, taking the CPU the web process and the next
            # request's decoding need on a small host.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return options

    def providers(self) -> list:
        return [self.provider]

    def _load(self, path: Path, device: str) -> None:
        import onnxruntime  # deferred: onnxruntime

        self.session = onnxruntime.InferenceSession(str(path), sess_options=self.session_options(),
                                                    providers=self.providers())
        running = self.session.get_providers()
        if self.provider not in running:  # e.g. CUDA libraries missing: ORT logs a warning and runs on the CPU
            raise ProviderFallback(f"{self.name}: ONNX Runtime runs {running} instead of {self.provider} (a provider "
                                   "library or the GPU is missing on this worker); refusing to label a CPU run "
                                   f"as {self.name}")
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        self.input_shape = tuple(d if isinstance(d, int) else None for d in model_input.shape)
        self.output_name = self.session.get_outputs()[0].name

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run([self.output_name], {self.input_name: batch})[0]

    def describe(self) -> dict:
        return {**super().describe(), "providers": self.session.get_providers() if hasattr(self, "session") else []}


class OnnxRuntimeCudaEngine(OnnxRuntimeEngine):
    name = "onnxruntime-cuda"
    device = "cuda"
    provider = "CUDAExecutionProvider"

    def providers(self) -> list:
        return [(self.provider, {"device_id": 0}), "CPUExecutionProvider"]


class OnnxRuntimeTensorrtEngine(OnnxRuntimeEngine):
    """ORT's TensorRT provider builds an engine on first load (minutes); it is cached next to the artifacts."""

    name = "onnxruntime-tensorrt"
    device = "cuda"
    provider = "TensorrtExecutionProvider"

    def providers(self) -> list:
        cache = Path(settings.VAR_DIR) / "ort-trt-cache"
        cache.mkdir(parents=True, exist_ok=True)
        return [(self.provider, {"trt_fp16_enable": True, "trt_engine_cache_enable": True,
                                 "trt_engine_cache_path": str(cache)}),
                ("CUDAExecutionProvider", {"device_id": 0}), "CPUExecutionProvider"]


class OnnxRuntimeCpuEngine(OnnxRuntimeEngine):
    name = "onnxruntime-cpu"
