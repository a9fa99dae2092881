"""The GPU paths, run for real where the machine has a CUDA GPU (`make gpu-check`); skipped everywhere else.

CI and the development machines have no GPU, so these are skipped there: they exist so that the first run on a
GPU host proves (or disproves) CUDA training, the CUDA engines, NVML and TensorRT through the same code the
gpu queue and the inference pool run.
"""
import time

import numpy as np
import pytest

from jobs.models import JobState
from tests.waiting import wait_for_job_state


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _cuda(), reason="no CUDA GPU on this machine")]


def test_the_probe_sees_the_gpu_through_nvml():
    from jobs.probe import worker_probe

    probe = worker_probe()
    assert probe["torch"]["cuda_available"] is True
    assert probe["cuda"]["devices"] and probe["cuda"]["devices"][0]["memory_total_mb"] > 0, probe["cuda"]
    assert probe["engines"]["pytorch-cuda"]["available"] is True


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_a_training_run_on_the_gpu_queue_trains_on_cuda(alice, api, gpu_worker, demo_dataset):
    body = {"dataset": demo_dataset.id, "preset": "yolov8n", "epochs": 2, "imgsz": 64, "batch": 16, "seed": 0,
            "patience": 50, "hyperparameters": {"warmup_epochs": 0}}
    run = api(alice).post("/api/training-runs/", body, format="json").json()
    wait_for_job_state(run["job"], JobState.SUCCEEDED, timeout=300)
    detail = api(alice).get(f"/api/training-runs/{run['id']}/").json()
    assert detail["device"].startswith("cuda"), detail["device"]
    assert len(detail["epochs"]) == 2 and detail["result_model"]


def _latency_ms(engine, batch, runs=30) -> tuple[float, float]:
    engine.warmup(batch.shape[-1])
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        engine.run(batch)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[int(len(samples) * 0.95) - 1]


def test_the_pytorch_engine_on_cuda_matches_the_cpu_and_is_faster(tiny_weights):
    from inference.engines import PytorchCpuEngine, PytorchCudaEngine

    batch = np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32)
    cpu = PytorchCpuEngine().load(tiny_weights)
    cuda = PytorchCudaEngine().load(tiny_weights)
    expected, got = cpu.run(batch), cuda.run(batch)
    assert np.abs(expected - got).max() <= 1e-2 * max(1.0, float(np.abs(expected).max()))
    cpu_p50, _ = _latency_ms(cpu, batch)
    cuda_p50, cuda_p95 = _latency_ms(cuda, batch)
    print(f"pytorch engine, imgsz 64: cpu p50 {cpu_p50:.2f} ms, cuda p50 {cuda_p50:.2f} ms p95 {cuda_p95:.2f} ms")


def test_onnxruntime_on_cuda_when_onnxruntime_gpu_is_installed(tiny_weights):
    from inference.engines import OnnxRuntimeCpuEngine, OnnxRuntimeCudaEngine

    ok, reason = OnnxRuntimeCudaEngine.available()
    if not ok:
        pytest.skip(reason)
    from ultralytics import YOLO

    onnx_path = YOLO(str(tiny_weights)).export(format="onnx", imgsz=64, dynamic=True)
    batch = np.random.default_rng(0).random((2, 3, 64, 64), dtype=np.float32)
    expected = OnnxRuntimeCpuEngine().load(onnx_path).run(batch)
    got = OnnxRuntimeCudaEngine().load(onnx_path).run(batch)
    assert np.abs(expected - got).max() <= 1e-2 * max(1.0, float(np.abs(expected).max()))


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_a_tensorrt_fp16_conversion_builds_and_checks_an_engine(alice, api, gpu_worker, tiny_model):
    from inference.engines import TensorrtEngine

    ok, reason = TensorrtEngine.available()
    if not ok:
        pytest.skip(reason)
    response = api(alice).post(f"/api/models/{tiny_model.id}/convert/", {"target": "tensorrt", "imgsz": 64,
                                                                          "half": True}, format="json")
    assert response.status_code == 202, response.json()
    job = wait_for_job_state(response.json()["job"], (JobState.SUCCEEDED, JobState.FAILED), timeout=600)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["parity"]["max_abs_diff"] <= job.result["parity"]["tolerance"]
