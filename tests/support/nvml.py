"""A fake NVML for hosts with no GPU (this one): the pynvml calls the platform makes, monkeypatched to answer for
the GPUs given, so that core/hardware.py's facts and hosts/usage.py's samples see them. Mock only what cannot run
here: the rest of the code path (the facts, the heartbeat, Redis, the API) is the real one."""
from functools import lru_cache
from types import SimpleNamespace

import pynvml


def fake_nvml(monkeypatch, gpus: list[dict], *, driver: str = "550.54.15") -> None:
    """`gpus`: [{name, memory_total_mb, memory_used_mb, utilization, temperature}] (a missing key: NotSupported)."""
    from hosts import facts

    def device(handle) -> dict:
        return gpus[handle]

    def field(handle, key):
        if key not in device(handle):
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return device(handle)[key]

    def memory(handle):
        total, used = device(handle)["memory_total_mb"] * 2**20, device(handle).get("memory_used_mb", 0) * 2**20
        return SimpleNamespace(total=total, used=used, free=total - used)

    calls = {"nvmlInit": lambda: None, "nvmlShutdown": lambda: None,
             "nvmlSystemGetDriverVersion": lambda: driver, "nvmlDeviceGetCount": lambda: len(gpus),
             "nvmlDeviceGetHandleByIndex": lambda index: index, "nvmlDeviceGetName": lambda h: device(h)["name"],
             "nvmlDeviceGetMemoryInfo": memory,
             "nvmlDeviceGetUtilizationRates": lambda h: SimpleNamespace(gpu=field(h, "utilization"), memory=0),
             "nvmlDeviceGetTemperature": lambda h, sensor: field(h, "temperature")}
    for name, call in calls.items():
        monkeypatch.setattr(pynvml, name, call)
    # the facts are read once per process: a fresh cache for the test, the real one (this machine's) back after it
    monkeypatch.setattr(facts, "_gpus", lru_cache(maxsize=1)(facts._gpus.__wrapped__))
