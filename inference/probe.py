"""What a worker can do: host, library versions, CUDA devices (NVML), CPUs, and the inference engines it can run."""
import os
import platform
import socket
import sys

import psutil

from core.hardware import gpu_devices, library_version as _version

from .engines import engines_available


def available_engines() -> dict:
    """Each inference engine and whether this worker can run it, with the reason when not (inference.engines)."""
    return engines_available()


def worker_probe() -> dict:
    torch_info = {"version": _version("torch"), "cuda_available": False, "cuda_version": None}
    try:
        import torch  # deferred: torch (seconds to import; a worker without it still answers)

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
