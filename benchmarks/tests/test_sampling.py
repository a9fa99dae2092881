"""The NVML sampler against a fake pynvml module (no GPU here); `make gpu-check` runs it for real."""
import time
from types import SimpleNamespace

import pytest

from benchmarks.sampling import Sampler


class FakeNvml:
    """Just the NVML calls the sampler makes, with memory and utilisation that climb per call."""

    def __init__(self):
        self.calls = 0
        self.shut = False

    def nvmlInit(self):
        pass

    def nvmlShutdown(self):
        self.shut = True

    def nvmlDeviceGetHandleByIndex(self, index):
        return f"gpu{index}"

    def nvmlDeviceGetMemoryInfo(self, handle):
        self.calls += 1
        return SimpleNamespace(used=(1000 + self.calls) * 2**20, total=80_000 * 2**20)

    def nvmlDeviceGetUtilizationRates(self, handle):
        return SimpleNamespace(gpu=min(100, 10 * self.calls), memory=5)


def test_the_sampler_reports_gpu_memory_peak_and_utilisation_from_nvml():
    fake = FakeNvml()
    sampler = Sampler(gpu_index=0, interval_s=0.005, nvml=fake)
    sampler.start()
    time.sleep(0.1)
    summary = sampler.stop()
    assert fake.shut and summary["gpu_samples"] >= 3
    assert summary["gpu_mem_peak_mb"] == pytest.approx(1000 + fake.calls)
    assert summary["gpu_util_max"] == min(100, 10 * fake.calls)
    assert 0 < summary["gpu_util_mean"] < summary["gpu_util_max"]
    assert summary["peak_rss_mb"] > 10 and summary["gpu_error"] == ""


def test_without_a_gpu_the_sampler_measures_rss_and_cpu_only():
    sampler = Sampler(gpu_index=None, interval_s=0.005)
    sampler.start()
    end = time.perf_counter() + 0.05
    while time.perf_counter() < end:  # keep one core busy
        pass
    summary = sampler.stop()
    assert summary["gpu_mem_peak_mb"] is None and summary["gpu_util_mean"] is None
    assert summary["cpu_util"] > 20


def test_a_failing_nvml_is_reported_not_raised():
    fake = FakeNvml()
    fake.nvmlInit = lambda: (_ for _ in ()).throw(RuntimeError("driver gone"))
    sampler = Sampler(gpu_index=0, nvml=fake)
    assert sampler.stop()["gpu_error"] == "NVML: driver gone"


def test_interleaved_loops_give_every_engine_its_iterations_in_rounds_and_keep_a_failing_one_apart():
    import numpy as np

    from benchmarks.measure import Loop, interleaved_loops

    calls = []

    class Fake:
        def __init__(self, name, fail_after=None):
            self.name, self.fail_after, self.runs = name, fail_after, 0

        def run(self, batch):
            self.runs += 1
            calls.append(self.name)
            if self.fail_after is not None and self.runs > self.fail_after:
                raise RuntimeError("out of memory")

    a, b, c = Fake("a"), Fake("b"), Fake("c", fail_after=5)
    loops = [Loop(key=f, engine=f, gpu_index=None) for f in (a, b, c)]
    interleaved_loops(loops=loops, batch=np.zeros((1, 3, 8, 8), np.float32), warmup=2, iterations=20, min_seconds=0)
    assert [len(loop.timings) for loop in loops[:2]] == [20, 20] and loops[0].cold_ms is not None
    assert str(loops[2].error) == "out of memory" and loops[0].error is None
    timed = calls[6:]  # after each engine's cold run and one warm-up
    assert timed[:6] == ["a", "a", "b", "b", "c", "c"]  # chunks of 2 (20 iterations in 10 rounds), in turn
    assert loops[0].resources()["cpu_util"] is not None


def test_the_jobs_soft_time_limit_stops_the_interleaved_loops_instead_of_failing_one_engine():
    import numpy as np
    import pytest
    from celery.exceptions import SoftTimeLimitExceeded

    from benchmarks.measure import Loop, interleaved_loops

    class OutOfTime:
        runs = 0

        def run(self, batch):
            self.runs += 1
            if self.runs > 3:
                raise SoftTimeLimitExceeded()

    loops = [Loop(key="late", engine=OutOfTime(), gpu_index=None)]
    with pytest.raises(SoftTimeLimitExceeded):
        interleaved_loops(loops=loops, batch=np.zeros((1, 3, 8, 8), np.float32), warmup=2, iterations=20,
                          min_seconds=0)
