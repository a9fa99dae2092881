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
        import pynvml  # deferred: optional (a host without NVIDIA's library has no GPU to list)
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


# CPU flags that decide which engines and precisions run fast (OpenVINO BF16 on AVX-512 BF16, INT8 through AMX),
# named as people name them: a target {"cpu": "AMX"} or {"cpu": "avx512"} matches these, ignoring case and dashes.
CPU_FEATURES = (("avx2", "AVX2"), ("avx512f", "AVX-512"), ("avx512_vnni", "AVX-512 VNNI"),
                ("avx512_bf16", "AVX-512 BF16"), ("avx512_fp16", "AVX-512 FP16"), ("amx_tile", "AMX"),
                ("amx_bf16", "AMX BF16"), ("amx_int8", "AMX INT8"))


@lru_cache(maxsize=1)
def cpu_features() -> tuple[str, ...]:
    """The notable CPU features of this machine (CPU_FEATURES), from /proc/cpuinfo's flags; () elsewhere."""
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.lower().startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    return tuple(name for flag, name in CPU_FEATURES if flag in flags)


def feature_key(name: str) -> str:
    """"AVX-512 BF16", "avx512_bf16" and "AVX512BF16" are one feature."""
    return "".join(ch for ch in name.upper() if ch.isalnum())


def hardware_class_of(*, gpus: list[dict], features: tuple | list) -> str:
    """The class a serving choice is made for: the first GPU's model on a GPU host (`gpu:NVIDIA H100 80GB HBM3`),
    else the best CPU instruction set (`cpu:amx`, `cpu:avx512`, `cpu:avx2`, `cpu:baseline`)."""
    if gpus:
        return f"gpu:{gpus[0]['name']}"
    for feature, label in (("AMX", "amx"), ("AVX-512", "avx512"), ("AVX2", "avx2")):
        if feature in features:
            return f"cpu:{label}"
    return "cpu:baseline"
