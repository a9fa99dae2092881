"""PyTorch engine: an ultralytics checkpoint in eval mode on the CPU or a CUDA GPU.

It unpickles the checkpoint, so it only ever loads files the registry stored and inspected (a ModelVersion's
artifact): the pool gets paths from the web process, which resolved them from the database.
"""
from pathlib import Path

import numpy as np

from .base import Engine


class PytorchEngine(Engine):
    formats = ("pytorch",)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import torch  # noqa: F401
            import ultralytics  # noqa: F401
        except ImportError as exc:
            return False, f"{exc.name} is not installed"
        return True, ""

    def _load(self, path: Path, device: str) -> None:
        import torch
        from ultralytics.nn.tasks import load_checkpoint

        self.torch = torch
        model, _ = load_checkpoint(str(path), device=torch.device(self.device), fuse=True)
        self.model = model.float().eval()
        self.input_shape = (None, 3, None, None)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            output = self.model(self.torch.from_numpy(batch).to(self.device))
        if isinstance(output, (list, tuple)):
            output = output[0]
        return output.float().cpu().numpy()


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
        import torch

        return (True, "") if torch.cuda.is_available() else (False, "torch sees no CUDA device on this worker")
