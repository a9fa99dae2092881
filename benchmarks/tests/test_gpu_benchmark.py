"""The benchmark's GPU side for real, where the machine has a CUDA GPU (`make gpu-check`); skipped everywhere else:
the NVML sampler sees memory and utilisation of a busy GPU, and the timed loop measures the CUDA engines."""
import numpy as np
import pytest


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _cuda(), reason="no CUDA GPU on this machine")]


def test_the_nvml_sampler_sees_a_busy_gpu():
    import torch

    from benchmarks.sampling import Sampler

    a = torch.randn(8192, 8192, device="cuda")
    sampler = Sampler(gpu_index=0, interval_s=0.01)
    sampler.start()
    for _ in range(200):
        a = a @ a
        a = a / a.norm()
    torch.cuda.synchronize()
    summary = sampler.stop()
    print("NVML sampler on a busy GPU:", summary)
    assert summary["gpu_error"] == "" and summary["gpu_samples"] > 3
    assert summary["gpu_mem_peak_mb"] > 256 and summary["gpu_util_max"] > 50


@pytest.mark.parametrize("engine_name", ["pytorch-cuda", "pytorch-cuda-fp16", "pytorch-cuda-fp16-graph"])
def test_the_timed_loop_measures_the_cuda_engines_with_gpu_figures(engine_name, tiny_weights):
    from benchmarks.measure import Loop, interleaved_loops, timing_stats
    from inference.engines import ENGINES

    ok, reason = ENGINES[engine_name].available()
    if not ok:
        pytest.skip(reason)
    engine = ENGINES[engine_name]().load(tiny_weights)
    batch = np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32)
    loop = Loop(key=engine_name, engine=engine, gpu_index=0)
    interleaved_loops(loops=[loop], batch=batch, warmup=5, iterations=200, min_seconds=0)
    stats, resources = timing_stats(loop.timings, batch_size=1), loop.resources()
    print(engine_name, {k: stats[k] for k in ("p50_ms", "p95_ms", "fps")}, resources, f"cold {loop.cold_ms} ms")
    assert loop.error is None and stats["iterations"] == 200 and resources["gpu_mem_peak_mb"]
    if engine_name == "pytorch-cuda-fp16-graph":  # never warmed up: the loop's first call captured, all replayed
        assert engine.counters() == {"graph_replays": 1 + 4 + 200, "eager_calls": 0}, engine.counters()
