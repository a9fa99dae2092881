"""What this host is, read from the machine once per process: name, hardware class, CPU, memory, GPUs, engines."""
import os
from collections.abc import Callable
from functools import lru_cache

import psutil
from django.conf import settings

from core.hardware import cpu_features, cpu_model, gpu_devices, hardware_class_of

# Which engines this host can run is the inference app's to say, and it sits above hosts: it hands its probe in
# when Django loads it (inference/apps.py). {name: {"available": bool, ...}}, as inference.probe.available_engines.
_engines_probe: Callable[[], dict] | None = None


def engines_probe_register(probe: Callable[[], dict]) -> None:
    global _engines_probe
    _engines_probe = probe


@lru_cache(maxsize=1)
def _gpus() -> tuple[tuple, str]:
    info = gpu_devices()
    devices = tuple((d["index"], d["name"], d["memory_total_mb"]) for d in info["devices"])
    return devices, info["driver"] or ""


def this_host() -> dict:
    """This process's host name and hardware class (HARDWARE_CLASS overrides the derived one), cheap after the
    first call: what a job records as where it ran, and the class an inference pool serves for."""
    devices, _ = _gpus()
    gpus = [{"name": name} for _, name, _ in devices]
    return {"name": settings.HOST_NAME,
            "hardware_class": settings.HARDWARE_CLASS or hardware_class_of(gpus=gpus, features=cpu_features())}


def host_facts(*, engines: bool | list[str]) -> dict:
    """Everything the Host row holds. `engines`: the names already known (the pool's), or True to probe them
    (imports their libraries: the gpu worker has them loaded anyway), False to leave them out (the default worker)."""
    devices, driver = _gpus()
    facts = {**this_host(), "cpu_model": cpu_model(), "cpu_features": list(cpu_features()),
             "cpu_cores": os.cpu_count() or 0, "memory_mb": round(psutil.virtual_memory().total / 2**20),
             "gpus": [{"index": i, "name": name, "memory_total_mb": mb} for i, name, mb in devices],
             "gpu_driver": driver}
    if isinstance(engines, list):
        facts["engines"] = sorted(engines)
    elif engines and _engines_probe is not None:
        facts["engines"] = sorted(name for name, info in _engines_probe().items() if info["available"])
    return facts
