"""The GPU paths, run for real where the machine has a CUDA GPU (`make gpu-check`); skipped everywhere else.

CI and the development machines have no GPU, so these are skipped there: they exist so that a run on a GPU host
proves (or disproves) CUDA training with DataLoader workers, two trainings on one GPU, the CUDA engines (FP32,
FP16, CUDA-graph replay) against the CPU, NVML and TensorRT, through the same code the gpu queue and the
inference pool run. Each test adds rows to one summary table, printed at the end of the module.
"""
import threading
import time

import numpy as np
import pytest

from jobs.models import JobState
from tests.waiting import wait_for_job_end

SUMMARY: list[tuple[str, str]] = []


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:
        return False


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _cuda(), reason="no CUDA GPU on this machine")]


@pytest.fixture(scope="module", autouse=True)
def _summary_table():
    yield
    if SUMMARY:
        width = max(len(name) for name, _ in SUMMARY)
        print("\n\n== GPU check summary ==")
        for name, value in SUMMARY:
            print(f"{name.ljust(width)}  {value}")


class _NvmlSampler(threading.Thread):
    """GPU utilisation (%) of device 0 every 10 ms while a timed loop runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[int] = []
        self.stopped = threading.Event()

    def run(self):
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        while not self.stopped.wait(0.01):
            self.samples.append(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        pynvml.nvmlShutdown()

    def stop(self) -> str:
        self.stopped.set()
        self.join(timeout=2)
        return f"GPU {np.mean(self.samples):.0f}% mean, {max(self.samples)}% max" if self.samples else "no samples"


def _timed(fn, runs=100) -> tuple[float, float]:
    import torch

    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[int(len(samples) * 0.99) - 1]


def test_the_probe_sees_the_gpu_through_nvml():
    from jobs.probe import worker_probe

    probe = worker_probe()
    assert probe["torch"]["cuda_available"] is True
    assert probe["cuda"]["devices"] and probe["cuda"]["devices"][0]["memory_total_mb"] > 0, probe["cuda"]
    assert probe["engines"]["pytorch-cuda"]["available"] is True
    device = probe["cuda"]["devices"][0]
    SUMMARY.append(("probe", f"{device['name']}, {device['memory_total_mb']} MiB, driver {probe['cuda']['driver']}"))


def _train_body(dataset_id: int, seed: int = 0) -> dict:
    return {"dataset": dataset_id, "preset": "yolov8n", "epochs": 2, "imgsz": 64, "batch": 16, "seed": seed,
            "patience": 50, "hyperparameters": {"warmup_epochs": 0}}


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_a_training_run_on_the_gpu_queue_trains_on_cuda_with_dataloader_workers(alice, api, gpu_worker, demo_dataset):
    started = time.monotonic()
    run = api(alice).post("/api/training-runs/", _train_body(demo_dataset.id), format="json").json()
    job = wait_for_job_end(run["job"], timeout=300)
    assert job.state == JobState.SUCCEEDED, job.error
    detail = api(alice).get(f"/api/training-runs/{run['id']}/").json()
    assert detail["device"].startswith("cuda"), detail["device"]
    assert len(detail["epochs"]) == 2 and detail["result_model"]
    assert job.result["dataloader_workers"] > 0, job.result
    SUMMARY.append(("training on cuda, loader workers on",
                    f"SUCCEEDED in {time.monotonic() - started:.1f} s, {job.result['dataloader_workers']} workers"))


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_two_trainings_at_once_share_one_gpu(alice, api, gpu_worker, demo_dataset):
    started = time.monotonic()
    one = api(alice).post("/api/training-runs/", _train_body(demo_dataset.id, seed=1), format="json").json()
    assert wait_for_job_end(one["job"], timeout=300).state == JobState.SUCCEEDED
    alone = time.monotonic() - started
    started = time.monotonic()
    runs = [api(alice).post("/api/training-runs/", _train_body(demo_dataset.id, seed=s), format="json").json()
            for s in (2, 3)]
    jobs = [wait_for_job_end(run["job"], timeout=300) for run in runs]
    both = time.monotonic() - started
    assert [job.state for job in jobs] == [JobState.SUCCEEDED] * 2, [job.error for job in jobs]
    devices = {api(alice).get(f"/api/training-runs/{run['id']}/").json()["device"] for run in runs}
    assert devices <= {"cuda:0", "cuda:1", "cuda:2", "cuda:3", "cuda:4", "cuda:5", "cuda:6", "cuda:7"}, devices
    SUMMARY.append(("two trainings at once", f"both {both:.1f} s vs one alone {alone:.1f} s ({both / alone:.2f}x), "
                                             f"devices {sorted(devices)}"))


def test_the_pytorch_cuda_variants_match_the_cpu_and_graph_replay_is_fast(tmp_path):
    import torch
    from ultralytics import YOLO

    from inference.engines.pytorch import (PytorchCpuEngine, PytorchCudaEngine, PytorchCudaFp16Engine,
                                           PytorchCudaFp16GraphEngine)

    weights = tmp_path / "yolov8n.pt"
    YOLO("yolov8n.yaml").save(str(weights))  # built from its YAML: no download
    rng = np.random.default_rng(0)
    inputs = {b: rng.random((b, 3, 640, 640), dtype=np.float32) for b in (1, 8)}
    expected = PytorchCpuEngine().load(weights).run(inputs[1])
    scale = max(1.0, float(np.abs(expected).max()))
    for cls, tolerance in ((PytorchCudaEngine, 1e-2), (PytorchCudaFp16Engine, 5e-2), (PytorchCudaFp16GraphEngine, 5e-2)):
        engine = cls().load(weights, device="cuda:0")
        engine.warmup(640, batch_sizes=(1, 8)) if cls is PytorchCudaFp16GraphEngine else engine.warmup(640)
        diff = float(np.abs(engine.run(inputs[1]) - expected).max()) / scale
        assert diff <= tolerance, f"{cls.name}: relative max diff {diff:.4f} > {tolerance}"
        for batch in (1, 8):
            sampler = _NvmlSampler()
            sampler.start()
            p50, p99 = _timed(lambda: engine.run(inputs[batch]))
            SUMMARY.append((f"{cls.name} b{batch} 640", f"p50 {p50:.2f} ms p99 {p99:.2f} ms, "
                                                        f"{batch * 1000 / p50:.0f} img/s, {sampler.stop()}, "
                                                        f"diff {diff:.4f}"))
        if cls is PytorchCudaFp16GraphEngine:
            assert engine.describe()["graph_buckets"] == ["b1x640", "b8x640"]
            graph_p50 = _timed(lambda: engine.run(inputs[1]))[0]

    # The raw baseline in the same run: the same FP16 model replayed as a CUDA graph, no engine around it.
    raw = PytorchCudaFp16Engine().load(weights, device="cuda:0")
    static = torch.zeros((1, 3, 640, 640), dtype=torch.float16, device="cuda:0")
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.inference_mode():
        with torch.cuda.stream(side):
            for _ in range(3):
                raw._forward(static)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            out = raw._forward(static)

    def replay():
        static.copy_(torch.from_numpy(inputs[1]))
        graph.replay()
        out.float().cpu()

    raw_p50 = _timed(replay)[0]
    SUMMARY.append(("raw CUDA-graph replay b1 640", f"p50 {raw_p50:.2f} ms; engine/raw {graph_p50 / raw_p50:.2f}x "
                                                    "(goal <= 1.2)"))


def test_onnxruntime_on_cuda_when_onnxruntime_gpu_is_installed(tiny_weights):
    from inference.engines import OnnxRuntimeCpuEngine, OnnxRuntimeCudaEngine

    ok, reason = OnnxRuntimeCudaEngine.available()
    if not ok:
        SUMMARY.append(("onnxruntime-cuda", f"skipped: {reason}"))
        pytest.skip(reason)
    from ultralytics import YOLO

    onnx_path = YOLO(str(tiny_weights)).export(format="onnx", imgsz=64, dynamic=True)
    batch = np.random.default_rng(0).random((2, 3, 64, 64), dtype=np.float32)
    expected = OnnxRuntimeCpuEngine().load(onnx_path).run(batch)
    got = OnnxRuntimeCudaEngine().load(onnx_path).run(batch)
    assert np.abs(expected - got).max() <= 1e-2 * max(1.0, float(np.abs(expected).max()))
    SUMMARY.append(("onnxruntime-cuda", "matches the CPU"))


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_a_tensorrt_fp16_engine_builds_and_serves_back_to_back_inputs(alice, api, gpu_worker, tiny_model):
    from inference.engines import TensorrtEngine
    from registry.models import ModelVersion
    from registry.model_selectors import model_file_local

    ok, reason = TensorrtEngine.available()
    if not ok:
        SUMMARY.append(("tensorrt", f"skipped: {reason}"))
        pytest.skip(reason)
    response = api(alice).post(f"/api/models/{tiny_model.id}/convert/", {"target": "tensorrt", "imgsz": 64,
                                                                          "half": True}, format="json")
    assert response.status_code == 202, response.json()
    job = wait_for_job_end(response.json()["job"], timeout=600)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["parity"]["max_abs_diff"] <= job.result["parity"]["tolerance"]
    engine = TensorrtEngine().load(model_file_local(ModelVersion.objects.get(pk=job.result["model_id"])).held())
    rng = np.random.default_rng(1)
    inputs = [rng.random((1, 3, 64, 64), dtype=np.float32) for _ in range(20)]
    first_pass = [engine.run(x) for x in inputs]  # back to back, different inputs: each answer is its own
    assert all(np.array_equal(a, engine.run(x)) for a, x in zip(first_pass, inputs))
    assert not np.array_equal(first_pass[0], first_pass[1])
    SUMMARY.append(("tensorrt fp16", "built, parity ok, back-to-back inputs stable"))
