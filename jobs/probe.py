"""What a worker can do: host, library versions, CUDA devices (NVML), CPUs, and the inference engines it can run."""
import importlib
import os
import platform
import socket
import sys

import psutil


def _version(module: str) -> str | None:
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


def available_engines() -> dict:
    """Each inference engine and whether this worker can run it, with the reason when not (inference.engines)."""
    from inference.engines import engines_available

    return engines_available()


def worker_probe() -> dict:
    torch_info = {"version": _version("torch"), "cuda_available": False, "cuda_version": None}
    try:
        import torch

        torch_info.update(cuda_available=torch.cuda.is_available(), cuda_version=torch.version.cuda)
    except ImportError:
        pass
    memory = psutil.virtual_memory()
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "torch": torch_info,
        "onnxruntime": _version("onnxruntime"),
        "tensorrt": _version("tensorrt"),
        "ultralytics": _version("ultralytics"),
        "cuda": gpu_devices(),
        "cpu_count": os.cpu_count(),
        "memory_total_mb": round(memory.total / 2**20),
        "engines": available_engines(),
    }
