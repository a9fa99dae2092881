"""Hardware and software facts of this process's host, at the bottom of the house (imports nothing of ours).

The worker probe, the inference engines, benchmarks and reports all read the machine through this module:
CUDA devices through NVML, the CPU model and cores, memory, and the versions of the ML libraries.
"""
import importlib
import os
import platform
import socket
import sys
from functools import lru_cache

import psutil

LIBRARIES = ("torch", "torchvision", "ultralytics", "onnx", "onnxruntime", "openvino", "tensorrt", "optuna",
             "numpy", "django", "celery")


def library_version(module: str) -> str | None:
    """The module's `__version__`, "unknown" when it has none, None when it cannot be imported."""
    try:
        return getattr(importlib.import_module(module), "__version__", "unknown")
    except Exception:
        return None


def gpu_devices() -> dict:
    """CUDA devices through NVML: name, memory and driver; `error` says why there are none."""
    try:
        import pynvml
    except ImportError:
        return {"devices": [], "driver": None, "error": "nvidia-ml-py is not installed"}
    try:
        pynvml.nvmlInit()
    except Exception as exc:
        return {"devices": [], "driver": None, "error": f"NVML unavailable: {exc}"}
    try:
        driver = pynvml.nvmlSystemGetDriverVersion()
        devices = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            devices.append({"index": index, "name": name.decode() if isinstance(name, bytes) else name,
                            "memory_total_mb": round(memory.total / 2**20), "memory_free_mb": round(memory.free / 2**20)})
        return {"devices": devices, "driver": driver.decode() if isinstance(driver, bytes) else driver, "error": None}
    finally:
        pynvml.nvmlShutdown()


def gpu_present() -> tuple[bool, str]:
    """(True, "") when NVML sees a CUDA GPU, else (False, the reason)."""
    info = gpu_devices()
    return (True, "") if info["devices"] else (False, f"no CUDA GPU on this worker ({info['error'] or 'none found'})")


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's marketing name (from /proc/cpuinfo on Linux), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def host_info() -> dict:
    """The host a measurement ran on: name, OS, CPU model and cores, memory, Python and the GPUs (NVML)."""
    memory = psutil.virtual_memory()
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_total_mb": round(memory.total / 2**20),
        "cuda": gpu_devices(),
    }


def library_versions() -> dict:
    return {name: library_version(name) for name in LIBRARIES}
