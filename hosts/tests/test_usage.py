"""hosts/usage.py: a heartbeat's sample of the host's live usage. CPU, memory and load are this machine's; the GPU
part is empty without NVML (no GPU in the facts, or NVML that cannot be opened) and, with NVML faked (no GPU runs
here), one entry per GPU with a field the GPU does not report left null."""
import sys
import threading
import time

from hosts import usage
from hosts.usage import UsageSampler
from tests.support.nvml import fake_nvml


def test_a_sample_reads_cpu_memory_and_load_of_this_machine():
    sampler = UsageSampler(gpu_indexes=[])
    first = sampler.sample()
    assert abs(first["sampled_at"] - time.time()) < 5
    assert 0 < first["memory_used_mb"] <= first["memory_total_mb"] and len(first["load_average"]) == 3
    assert first["gpus"] == []
    sum(range(2_000_000))  # some CPU between two samples
    time.sleep(0.15)
    second = sampler.sample()
    assert second["cpu_percent"] is not None and 0.0 <= second["cpu_percent"] <= 100.0


def test_two_samples_too_close_together_give_no_cpu_percent_rather_than_noise():
    sampler = UsageSampler(gpu_indexes=[])
    sampler.sample()
    assert sampler.sample()["cpu_percent"] is None


def test_a_host_whose_facts_list_gpus_but_nvml_cannot_be_opened_reports_no_gpu(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # not installed: the import fails
    sampler = UsageSampler(gpu_indexes=[0])
    assert sampler.sample()["gpus"] == [] and sampler.sample()["gpus"] == []
    said = [record.message for record in caplog.records if "NVML cannot be opened" in record.message]
    assert len(said) == 1  # said once, not on every beat


def test_with_nvml_each_gpu_reports_utilisation_memory_and_temperature(monkeypatch):
    fake_nvml(monkeypatch, [
        {"name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559, "memory_used_mb": 20480, "utilization": 87,
         "temperature": 61},
        {"name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559, "memory_used_mb": 0, "utilization": 0}])
    gpus = UsageSampler(gpu_indexes=[0, 1]).sample()["gpus"]
    assert gpus == [{"index": 0, "utilization_percent": 87, "memory_used_mb": 20480, "memory_total_mb": 81559,
                     "temperature_c": 61},
                    {"index": 1, "utilization_percent": 0, "memory_used_mb": 0, "memory_total_mb": 81559,
                     "temperature_c": None}]  # no temperature sensor reported: null, the rest still there


def test_nvml_is_opened_once_per_process_not_on_every_beat(monkeypatch):
    import pynvml

    fake_nvml(monkeypatch, [{"name": "NVIDIA L4", "memory_total_mb": 23034, "utilization": 5, "temperature": 40}])
    opened = []
    monkeypatch.setattr(pynvml, "nvmlInit", lambda: opened.append(1))
    sampler = UsageSampler(gpu_indexes=[0])
    for _ in range(3):
        assert sampler.sample()["gpus"][0]["utilization_percent"] == 5
    assert opened == [1]


def test_one_sample_is_cheap():
    """The cost every beat pays, without NVML (none here; it adds three calls per GPU): about 40 µs measured."""
    sampler = UsageSampler(gpu_indexes=[])
    sampler.sample()
    start = time.perf_counter()
    for _ in range(200):
        sampler.sample()
    per_sample = (time.perf_counter() - start) / 200
    assert per_sample < 0.01, f"{per_sample * 1000:.2f} ms per sample"


def test_a_gpu_read_that_hangs_does_not_hold_the_beat(monkeypatch, caplog):
    """A wedged GPU or driver can block an NVML call for minutes: the beat waits GPU_READ_TIMEOUT_S at most and
    reports the GPUs unresponsive, starts no second read while the first hangs, and reads again once it returns."""
    import pynvml

    fake_nvml(monkeypatch, [{"name": "NVIDIA L4", "memory_total_mb": 23034, "utilization": 5, "temperature": 40}])
    monkeypatch.setattr(usage, "GPU_READ_TIMEOUT_S", 0.2)
    answer, reads = threading.Event(), []
    answering = pynvml.nvmlDeviceGetUtilizationRates

    def wedged(handle):
        reads.append(1)
        answer.wait(30)
        return answering(handle)

    monkeypatch.setattr(pynvml, "nvmlDeviceGetUtilizationRates", wedged)
    sampler = UsageSampler(gpu_indexes=[0])
    started = time.monotonic()
    first, second = sampler.sample(), sampler.sample()
    assert time.monotonic() - started < 1.5  # one wait of 0.2 s, not 30
    assert first["gpus"] == second["gpus"] == [{"index": 0, "unresponsive": True}]
    assert first["memory_total_mb"] > 0  # the rest of the sample is there
    assert len(reads) == 1  # the second beat did not start another read
    assert len([r for r in caplog.records if "NVML did not answer" in r.message]) == 1

    answer.set()
    sampler._hung.join(10)  # the read that hung has returned
    assert sampler.sample()["gpus"][0]["utilization_percent"] == 5
