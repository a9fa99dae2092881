"""Resource sampling during a timed loop: a thread reading NVML (GPU memory and utilisation) and the process's RSS.

The GPU side uses nvidia-ml-py (`pynvml`) only when core/hardware.py's NVML probe sees a device, so a CPU host
never pays for it; tests swap in a fake `pynvml` module. CPU utilisation is the process's CPU time over wall time
(100 % = one core busy), measured around the loop, not sampled.
"""
import threading
import time

import psutil

from core.hardware import gpu_devices

DEFAULT_INTERVAL_S = 0.02


class Sampler(threading.Thread):
    """Start before the timed loop, `stop()` after it; `summary()` gives the peaks and means seen in between."""

    def __init__(self, *, gpu_index: int | None = None, interval_s: float = DEFAULT_INTERVAL_S, nvml=None):
        super().__init__(name="benchmark-sampler", daemon=True)
        self.interval_s = interval_s
        self.process = psutil.Process()
        self.rss_start = self.rss_peak = self.process.memory_info().rss
        self.gpu_memory: list[float] = []
        self.gpu_util: list[float] = []
        self.gpu_error = ""
        self._stopped = threading.Event()
        self._nvml, self._handle = None, None
        if gpu_index is not None:
            self._nvml_open(gpu_index, nvml)
        self._cpu_start = self.process.cpu_times()
        self._wall_start = time.perf_counter()

    def _nvml_open(self, index: int, nvml) -> None:
        if nvml is None:
            if not gpu_devices()["devices"]:
                self.gpu_error = "no CUDA GPU seen by NVML"
                return
            # deferred: pynvml, a GPU host's optional library (core/hardware.py): a CPU host never loads it
            import pynvml as nvml
        try:
            nvml.nvmlInit()
            self._nvml, self._handle = nvml, nvml.nvmlDeviceGetHandleByIndex(index)
        except Exception as exc:  # sampling is best effort: the benchmark still measures latency
            self.gpu_error = f"NVML: {exc}"

    def _sample(self) -> None:
        self.rss_peak = max(self.rss_peak, self.process.memory_info().rss)
        if self._handle is not None:
            try:
                self.gpu_memory.append(self._nvml.nvmlDeviceGetMemoryInfo(self._handle).used / 2**20)
                self.gpu_util.append(float(self._nvml.nvmlDeviceGetUtilizationRates(self._handle).gpu))
            except Exception as exc:
                self.gpu_error = f"NVML: {exc}"

    def run(self) -> None:
        while not self._stopped.is_set():
            self._sample()
            self._stopped.wait(self.interval_s)

    def stop(self) -> dict:
        self._stopped.set()
        if self.is_alive():
            self.join(timeout=5)
        self._sample()
        wall = time.perf_counter() - self._wall_start
        cpu = self.process.cpu_times()
        self.cpu_seconds = (cpu.user - self._cpu_start.user) + (cpu.system - self._cpu_start.system)
        self.wall_seconds = wall
        self.cpu_util = 100.0 * self.cpu_seconds / max(wall, 1e-9)
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:
                pass
        return self.summary()

    def summary(self) -> dict:
        return {
            "peak_rss_mb": round(self.rss_peak / 2**20, 1),
            "gpu_mem_peak_mb": round(max(self.gpu_memory), 1) if self.gpu_memory else None,
            "gpu_util_mean": round(sum(self.gpu_util) / len(self.gpu_util), 1) if self.gpu_util else None,
            "gpu_util_max": max(self.gpu_util) if self.gpu_util else None,
            "cpu_util": round(getattr(self, "cpu_util", 0.0), 1),
            "gpu_samples": len(self.gpu_util),
            "gpu_error": self.gpu_error,
        }
