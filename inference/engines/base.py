"""The one interface every inference engine implements: load, warm up, run a batch, describe, available."""
from pathlib import Path

import numpy as np


# what each engine's probe answered in this process: the hardware and libraries do not change while it runs, and a
# probe can cost (importing TensorRT, initialising CUDA); every load used to probe again
_availability: dict[str, tuple[bool, str]] = {}


class EngineUnavailable(RuntimeError):
    """This worker cannot run the engine (library, device or format missing); the message says which."""


class Engine:
    """A loaded model that maps a float32 NCHW batch (RGB, 0-1) to the raw YOLO head output (N, 4 + nc, anchors).

    Subclasses set `name`, `formats` (the ModelVersion formats they load) and implement `_load`, `_run`,
    `available`. `run` splits a batch when the model has a fixed batch size, so callers can always batch.
    """

    name: str = ""
    formats: tuple[str, ...] = ()
    device: str = "cpu"

    def __init__(self):
        self.path: Path | None = None
        self.input_shape: tuple = ()  # (n, c, h, w); None where the dimension is dynamic
        self.loaded_at: float = 0.0

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """(True, "") when this worker can run the engine, else (False, the reason)."""
        raise NotImplementedError

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        """available(), probed once per process; a probe that raised counts as unavailable, with the error."""
        if cls.name not in _availability:
            try:
                _availability[cls.name] = cls.available()
            except Exception as exc:  # a broken driver must not break the probe
                _availability[cls.name] = (False, f"{exc.__class__.__name__}: {exc}")
        return _availability[cls.name]

    def load(self, path: Path, device: str = "") -> "Engine":
        ok, reason = self.availability()
        if not ok:
            raise EngineUnavailable(f"{self.name}: {reason}")
        self.path = Path(path)
        self._load(self.path, device or self.device)
        return self

    def _load(self, path: Path, device: str) -> None:
        raise NotImplementedError

    @property
    def dynamic_batch(self) -> bool:
        return not self.input_shape or not isinstance(self.input_shape[0], int)

    @property
    def fixed_imgsz(self) -> int | None:
        """The square input size a model exported with a static shape requires, else None."""
        if len(self.input_shape) == 4 and isinstance(self.input_shape[2], int) and isinstance(self.input_shape[3], int):
            return int(self.input_shape[2]) if self.input_shape[2] == self.input_shape[3] else None
        return None

    def warmup(self, imgsz: int = 640) -> None:
        """One dummy run, so the first real request does not pay for lazy initialisation."""
        size = self.fixed_imgsz or imgsz
        self.run(np.zeros((1, 3, size, size), dtype=np.float32))

    def run(self, batch: np.ndarray) -> np.ndarray:
        if self.dynamic_batch or len(batch) == 1:
            return self._run(batch)
        return np.concatenate([self._run(batch[i:i + 1]) for i in range(len(batch))])

    def _run(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def counters(self) -> dict:
        """Running counts an engine keeps about how it ran calls (the CUDA-graph engine: replays vs eager)."""
        return {}

    def describe(self) -> dict:
        return {"engine": self.name, "device": self.device, "path": str(self.path) if self.path else None,
                "input_shape": [d if isinstance(d, int) else None for d in self.input_shape],
                "dynamic_batch": self.dynamic_batch}
