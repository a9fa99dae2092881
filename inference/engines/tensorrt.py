"""Native TensorRT engine: deserialises a .engine file and runs it with CUDA buffers owned by torch.

Unproven on the CPU-only development machine (no GPU, no TensorRT there); `available()` says why.

Every step of a run (the host-to-device copy and FP16 cast of the input, the engine's execution, the output's
cast) is queued on the engine's one stream, in that order, and the stream is synchronised before the result is
read. Queuing the copy on the current stream and executing on another one, as an earlier version did, let the
engine read an input whose copy had not finished when requests came back to back.
"""
from pathlib import Path

import numpy as np

from registry.conversions.tensorrt import engine_precision

from .base import Engine


class TensorrtEngine(Engine):
    name = "tensorrt"
    formats = ("tensorrt",)
    device = "cuda"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import tensorrt  # noqa: F401  # deferred: tensorrt
        except ImportError:
            return False, "TensorRT is not installed on this worker (pip install tensorrt on a CUDA host)"
        try:
            import torch  # deferred: torch
        except ImportError:
            return False, "torch is needed for CUDA buffers and is not installed"
        if not torch.cuda.is_available():
            return False, "no CUDA GPU on this worker for TensorRT"
        return True, ""

    def _deserialise(self, path: Path) -> None:
        import tensorrt as trt  # deferred: tensorrt
        import torch  # deferred: torch

        self.torch = torch
        logger = trt.Logger(trt.Logger.WARNING)
        data = path.read_bytes()
        # ultralytics prefixes its engines with a 4-byte length and JSON metadata; skip it when present.
        try:
            meta_len = int.from_bytes(data[:4], byteorder="little")
            if 0 < meta_len < 1 << 20 and data[4:5] == b"{":
                data = data[4 + meta_len:]
        except Exception:
            pass
        self.runtime = trt.Runtime(logger)
        self.engine = self.runtime.deserialize_cuda_engine(data)
        if self.engine is None:
            raise RuntimeError(f"TensorRT could not deserialise {path.name} (built for another TensorRT or GPU?)")
        self.context = self.engine.create_execution_context()
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.input_name = next(n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT)
        self.output_name = next(n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT)
        shape = tuple(self.engine.get_tensor_shape(self.input_name))
        self.input_shape = tuple(d if d >= 0 else None for d in shape)
        self.fp16 = self.engine.get_tensor_dtype(self.input_name) == trt.DataType.HALF
        # The output's own type: an FP16 engine may still answer in FP32 (ultralytics' exports often do).
        self.output_fp16 = self.engine.get_tensor_dtype(self.output_name) == trt.DataType.HALF
        self.stream = torch.cuda.Stream(device=self.cuda_device)
        self.precision = engine_precision(self.engine, trt)

    def _load(self, path: Path, device: str) -> None:
        import torch  # deferred: torch

        self.cuda_device = torch.device(device if device.startswith("cuda") else "cuda")
        self.device = str(self.cuda_device)
        with torch.cuda.device(self.cuda_device):
            self._deserialise(path)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        torch = self.torch
        dtype = torch.float16 if self.fp16 else torch.float32
        with torch.cuda.device(self.cuda_device), torch.cuda.stream(self.stream):
            inputs = torch.from_numpy(batch).to(self.cuda_device, dtype=dtype).contiguous()
            self.context.set_input_shape(self.input_name, tuple(inputs.shape))
            out_shape = tuple(self.context.get_tensor_shape(self.output_name))
            outputs = torch.empty(out_shape, dtype=torch.float16 if self.output_fp16 else torch.float32,
                                  device=self.cuda_device)
            self.context.set_tensor_address(self.input_name, inputs.data_ptr())
            self.context.set_tensor_address(self.output_name, outputs.data_ptr())
            self.context.execute_async_v3(self.stream.cuda_stream)
            result = outputs.float()
        self.stream.synchronize()
        return result.cpu().numpy()

    def describe(self) -> dict:
        return {**super().describe(), "precision": getattr(self, "precision", "")}
