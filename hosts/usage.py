"""What this host is doing now, sampled on every heartbeat and published with it (hosts/liveness.py): CPU percent,
memory used/total, load average and, per GPU, NVML's utilisation, memory and temperature.

Cheap by design, since every beat of every process takes one: the CPU percent is the busy share of the system CPU
times since the previous sample (non-blocking), memory and load are one syscall each, and NVML is opened once per
process and read with three calls per GPU. A host whose facts list no GPU never loads NVML (like the benchmark
sampler); a host where it cannot be opened reports no GPU usage and says so once in the log.

NVML answers in microseconds, but a wedged GPU or driver can block a call for minutes, and the beat that waited
on it would stop saying the process lives (its jobs would be taken for lost). So the GPU part is read on a thread
of its own and waited for GPU_READ_TIMEOUT_S at most: past that, each GPU is reported `unresponsive` (said in the
log when it starts), no second read is started while the first still hangs, and the readings come back once it
returns.
"""
import logging
import os
import threading
import time

import psutil

log = logging.getLogger("hosts")

# The CPU times when this module was imported: the first sample's percent covers the time since then (the process
# started), as psutil's own non-blocking cpu_percent does; that one keeps its reference per thread, and a
# heartbeat's first beat runs in the starting thread, the others in its own.
_IMPORTED = (time.monotonic(), psutil.cpu_times())
MIN_CPU_INTERVAL_S = 0.1  # a shorter interval is a few clock ticks: noise, reported as null
GPU_READ_TIMEOUT_S = 1.0


def _busy_and_total(times) -> tuple[float, float]:
    # Linux counts guest time inside user time, and iowait is idle time (psutil and htop reckon the same way)
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    return total - times.idle - getattr(times, "iowait", 0.0), total


class UsageSampler:
    """One per heartbeat. `sample()` gives {sampled_at, cpu_percent, load_average, memory_used_mb, memory_total_mb,
    gpus: [{index, utilization_percent, memory_used_mb, memory_total_mb, temperature_c}]}."""

    def __init__(self, *, gpu_indexes: list[int]):
        self.gpu_indexes = list(gpu_indexes)
        self._cpu_at, self._cpu_times = _IMPORTED
        self._nvml = None
        self._nvml_pid: int | None = None  # NVML is opened again in a forked child, never reused across the fork
        self._nvml_failed = False
        self._handles: dict = {}
        self._hung: _GpuRead | None = None  # a read that has not returned yet

    def sample(self) -> dict:
        memory = psutil.virtual_memory()
        return {"sampled_at": time.time(), "cpu_percent": self._cpu_percent(),
                "load_average": [round(value, 2) for value in psutil.getloadavg()],
                "memory_used_mb": round((memory.total - memory.available) / 2**20),
                "memory_total_mb": round(memory.total / 2**20), "gpus": self._gpus()}

    def _cpu_percent(self) -> float | None:
        now, times = time.monotonic(), psutil.cpu_times()
        (busy_before, total_before), (busy, total) = _busy_and_total(self._cpu_times), _busy_and_total(times)
        long_enough = now - self._cpu_at >= MIN_CPU_INTERVAL_S
        self._cpu_at, self._cpu_times = now, times
        if not long_enough or total <= total_before:
            return None
        return round(100.0 * max(0.0, min(1.0, (busy - busy_before) / (total - total_before))), 1)

    def _gpus(self) -> list[dict]:
        """The GPUs' readings, or each GPU `unresponsive` while a read hangs (see the module's docstring)."""
        if not self.gpu_indexes:
            return []
        if self._hung is not None and self._hung.is_alive():
            return self._unresponsive()
        self._hung = None
        read = _GpuRead(self._gpus_read)
        read.start()
        read.join(GPU_READ_TIMEOUT_S)
        if read.is_alive():
            self._hung = read
            log.warning("NVML did not answer within %.1f s: this host's GPUs are reported unresponsive until it does "
                        "(a wedged GPU or driver; nvidia-smi will likely hang too)", GPU_READ_TIMEOUT_S)
            return self._unresponsive()
        if read.error is not None:
            raise read.error
        return read.result

    def _unresponsive(self) -> list[dict]:
        return [{"index": index, "unresponsive": True} for index in self.gpu_indexes]

    def _gpus_read(self) -> list[dict]:
        nvml = self._nvml_open()
        if nvml is None:
            return []
        gpus = []
        for index in self.gpu_indexes:
            if index not in self._handles:
                self._handles[index] = _or_none(nvml, nvml.nvmlDeviceGetHandleByIndex, index)
            if self._handles[index] is not None:
                gpus.append(_gpu_usage(nvml, index, self._handles[index]))
        return gpus

    def _nvml_open(self):
        if self._nvml_pid == os.getpid():
            return self._nvml
        if self._nvml_failed:
            return None
        try:
            import pynvml  # deferred: optional (core/hardware.py); only a host whose facts list a GPU loads it

            pynvml.nvmlInit()
        except Exception as exc:  # not installed, no driver, a library that does not load: no GPU usage, said once
            self._nvml_failed = True
            log.warning("no GPU usage in this host's heartbeat: NVML cannot be opened (%s)", exc)
            return None
        self._nvml, self._nvml_pid, self._handles = pynvml, os.getpid(), {}
        return pynvml


class _GpuRead(threading.Thread):
    """One read of the GPUs on a daemon thread: one that never returns does not hold the process at exit."""

    def __init__(self, read):
        super().__init__(name="nvml-read", daemon=True)
        self.read, self.result, self.error = read, [], None

    def run(self) -> None:
        try:
            self.result = self.read()
        except Exception as exc:  # given to the beat that started it (HostHeartbeat logs it)
            self.error = exc


def _or_none(nvml, call, *args):
    try:
        return call(*args)
    except nvml.NVMLError:  # a field the GPU or driver does not report (NotSupported...): that field is null
        return None


def _gpu_usage(nvml, index: int, handle) -> dict:
    memory = _or_none(nvml, nvml.nvmlDeviceGetMemoryInfo, handle)
    utilization = _or_none(nvml, nvml.nvmlDeviceGetUtilizationRates, handle)
    return {"index": index, "utilization_percent": utilization.gpu if utilization else None,
            "memory_used_mb": round(memory.used / 2**20) if memory else None,
            "memory_total_mb": round(memory.total / 2**20) if memory else None,
            "temperature_c": _or_none(nvml, nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU)}
