"""PyTorch engines: an ultralytics checkpoint in eval mode on the CPU or a CUDA GPU, in FP32 or FP16, eager or
replayed as CUDA graphs.

The variants, by engine name (all load the same `.pt`):
- `pytorch-cpu`: FP32 on the CPU.
- `pytorch-cuda`: FP32 eager on a CUDA device.
- `pytorch-cuda-fp16`: FP16 eager. On an H200, yolov8n at 640 batch 1 took 5.0 ms with the GPU only half busy:
  eager PyTorch is bound by launching hundreds of small kernels, not by the GPU.
- `pytorch-cuda-fp16-graph`: FP16, each (batch size, imgsz) bucket captured as a CUDA graph on its first call (and
  in `warmup` for the configured ones) and replayed afterwards (one launch for the whole network: 1.0 ms for the
  same model). A graph holds its own input, output and workspace memory, so at most `MAX_GRAPH_BUCKETS` are kept;
  shapes beyond that (or not square) run eagerly, so any request still works. `counters()` says how many calls
  replayed a graph and how many ran eagerly: a benchmark row records them, so a row named "graph" that never
  replayed one shows it.

The device argument is honoured (`cuda:1` loads onto the second GPU; `cuda` means the current device).
It unpickles the checkpoint, so it only ever loads files the registry stored and inspected (a ModelVersion's
artifact): the pool gets paths from the web process, which resolved them from the database.
"""
from pathlib import Path

import numpy as np

from .base import Engine

GRAPH_WARMUP_RUNS = 3  # eager runs on a side stream before capture (cuDNN autotuning, lazy allocations)
MAX_GRAPH_BUCKETS = 8  # e.g. batch 1, 2, 4, 8 at two sizes; each graph pins its buffers on the GPU


class PytorchEngine(Engine):
    formats = ("pytorch",)
    half = False
    graphs = False

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import torch  # noqa: F401  # deferred: torch
            import ultralytics  # noqa: F401  # deferred: ultralytics
        except ImportError as exc:
            return False, f"{exc.name} is not installed"
        return True, ""

    @property
    def precision(self) -> str:
        return "fp16" if self.half else "fp32"

    def _load(self, path: Path, device: str) -> None:
        import torch  # deferred: torch
        from ultralytics.nn.tasks import load_checkpoint  # deferred: ultralytics

        self.torch = torch
        self.device = device
        model, _ = load_checkpoint(str(path), device=torch.device(device), fuse=True)
        model = model.half() if self.half else model.float()
        self.model = model.eval()
        self.dtype = torch.float16 if self.half else torch.float32
        self.input_shape = (None, 3, None, None)

    def _forward(self, inputs):
        output = self.model(inputs)
        return output[0] if isinstance(output, (list, tuple)) else output

    def _run(self, batch: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            output = self._forward(self.torch.from_numpy(batch).to(self.device, dtype=self.dtype))
        return output.float().cpu().numpy()

    def describe(self) -> dict:
        return {**super().describe(), "precision": self.precision}


class PytorchCpuEngine(PytorchEngine):
    name = "pytorch-cpu"
    device = "cpu"


class PytorchCudaEngine(PytorchEngine):
    name = "pytorch-cuda"
    device = "cuda"

    @classmethod
    def available(cls) -> tuple[bool, str]:
        ok, reason = super().available()
        if not ok:
            return ok, reason
        import torch  # deferred: torch

        return (True, "") if torch.cuda.is_available() else (False, "torch sees no CUDA device on this worker")


class PytorchCudaFp16Engine(PytorchCudaEngine):
    name = "pytorch-cuda-fp16"
    half = True


class PytorchCudaFp16GraphEngine(PytorchCudaFp16Engine):
    """FP16 with one CUDA graph per captured (batch size, imgsz); see the module docstring."""

    name = "pytorch-cuda-fp16-graph"
    graphs = True

    def _load(self, path: Path, device: str) -> None:
        super()._load(path, device)
        self.buckets: dict[tuple[int, int], tuple] = {}  # (batch, imgsz) -> (graph, static input, static output)
        self.replays = 0
        self.eager_calls = 0

    def warmup(self, imgsz: int = 640, batch_sizes=(1,)) -> None:
        for batch in batch_sizes:
            self.capture(batch=batch, imgsz=imgsz)

    def capture(self, *, batch: int, imgsz: int) -> bool:
        """Record the forward pass for this input shape as a CUDA graph, once per bucket; False past the bound."""
        if (batch, imgsz) in self.buckets:
            return True
        if len(self.buckets) >= MAX_GRAPH_BUCKETS:
            return False
        static_input = self.torch.zeros((batch, 3, imgsz, imgsz), dtype=self.dtype,
                                        device=self.torch.device(self.device))
        graph, static_output = self._capture_graph(static_input)
        self.buckets[(batch, imgsz)] = (graph, static_input, static_output)
        return True

    def _capture_graph(self, static_input) -> tuple:
        """The CUDA primitive: warm up on a side stream, then record one forward into a CUDAGraph."""
        torch = self.torch
        device = static_input.device
        side = torch.cuda.Stream(device=device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.inference_mode():
            with torch.cuda.stream(side):  # capture must not see the work of the default stream's first runs
                for _ in range(GRAPH_WARMUP_RUNS):
                    self._forward(static_input)
            torch.cuda.current_stream(device).wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                static_output = self._forward(static_input)
        torch.cuda.synchronize(device)
        return graph, static_output

    def _run(self, batch: np.ndarray) -> np.ndarray:
        key = (batch.shape[0], batch.shape[2])
        if batch.shape[2] != batch.shape[3] or not self.capture(batch=key[0], imgsz=key[1]):
            self.eager_calls += 1
            return super()._run(batch)  # not square, or past the bound: eager, same numbers
        graph, static_input, static_output = self.buckets[key]
        with self.torch.inference_mode():
            static_input.copy_(self.torch.from_numpy(batch))  # copy and cast into the graph's own input buffer
            graph.replay()
            self.replays += 1
            return static_output.float().cpu().numpy()  # .cpu() waits for the replay on the same stream

    def counters(self) -> dict:
        return {"graph_replays": self.replays, "eager_calls": self.eager_calls}

    def describe(self) -> dict:
        return {**super().describe(), "graph_buckets": sorted(f"b{b}x{s}" for b, s in self.buckets),
                "max_graph_buckets": MAX_GRAPH_BUCKETS}
