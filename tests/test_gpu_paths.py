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
from registry.conversions.parity import ParityTolerance, parity_compare, parity_images
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
    from inference.probe import worker_probe

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
    assert job.result["dataloader_workers"] > 0, job.result  # read from the trainer's DataLoader, not the request
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
    # they ran at the same time: each one's training overlaps the other's (not one after the other in one slot)
    (a_start, a_end), (b_start, b_end) = [(job.started_at, job.finished_at) for job in jobs]
    overlap = (min(a_end, b_end) - max(a_start, b_start)).total_seconds()
    assert overlap > 0.5 * min((a_end - a_start).total_seconds(), (b_end - b_start).total_seconds()), (
        f"two trainings overlapped {overlap:.1f} s only")
    SUMMARY.append(("two trainings at once", f"both {both:.1f} s vs one alone {alone:.1f} s ({both / alone:.2f}x), "
                                             f"overlap {overlap:.1f} s, devices {sorted(devices)}"))


def test_the_pytorch_cuda_variants_match_the_cpu_on_the_trained_model(tiny_weights, demo_dataset_tree):
    """Random weights score about 1e-4 everywhere: only a trained model's scores and detections test parity."""
    from inference.engines.pytorch import (PytorchCpuEngine, PytorchCudaEngine, PytorchCudaFp16Engine,
                                           PytorchCudaFp16GraphEngine)

    images = parity_images(root=demo_dataset_tree / "images" / "val", imgsz=64, limit=8)
    expected = PytorchCpuEngine().load(tiny_weights).run(images)
    for cls, tol in ((PytorchCudaEngine, ParityTolerance(box_rel=1e-3, score_abs=1e-3)),
                     (PytorchCudaFp16Engine, ParityTolerance(box_rel=2e-2, score_abs=1e-2, min_iou=0.8)),
                     (PytorchCudaFp16GraphEngine, ParityTolerance(box_rel=2e-2, score_abs=1e-2, min_iou=0.8))):
        parity = parity_compare(reference=[expected], candidate=[cls().load(tiny_weights, device="cuda:0").run(images)],
                                tol=tol)
        assert parity["passed"], f"{cls.name} on the trained model: {parity.get('detail')}"
        SUMMARY.append((f"{cls.name} trained b8 64", f"score diff {parity['max_score_diff']:.2g}, "
                                                     f"{parity['outputs'][0]['detections']['matched']} matched"))


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
    # the conversion parity's own comparison: boxes relative, class scores absolute, detections after NMS
    tolerances = {PytorchCudaEngine: ParityTolerance(box_rel=1e-3, score_abs=1e-3),
                  PytorchCudaFp16Engine: ParityTolerance(box_rel=2e-2, score_abs=1e-2, min_iou=0.8),
                  PytorchCudaFp16GraphEngine: ParityTolerance(box_rel=2e-2, score_abs=1e-2, min_iou=0.8)}
    for cls, tol in tolerances.items():
        engine = cls().load(weights, device="cuda:0")
        engine.warmup(640, batch_sizes=(1,)) if cls is PytorchCudaFp16GraphEngine else engine.warmup(640)
        parity = parity_compare(reference=[expected], candidate=[engine.run(inputs[1])], tol=tol)
        assert parity["passed"], f"{cls.name}: {parity.get('detail')}"
        diff = parity["outputs"][0]["scores"]["max_abs_diff"]
        for batch in (1, 8):
            sampler = _NvmlSampler()
            sampler.start()
            p50, p99 = _timed(lambda: engine.run(inputs[batch]))
            SUMMARY.append((f"{cls.name} b{batch} 640", f"p50 {p50:.2f} ms p99 {p99:.2f} ms, "
                                                        f"{batch * 1000 / p50:.0f} img/s, {sampler.stop()}, "
                                                        f"score diff {diff:.4f}"))
        if cls is PytorchCudaFp16GraphEngine:
            # batch 8 was never warmed up: its first call captured it, and every call since replayed it
            assert engine.describe()["graph_buckets"] == ["b1x640", "b8x640"]
            assert engine.counters()["eager_calls"] == 0 and engine.counters()["graph_replays"] > 200
            eager8 = PytorchCudaFp16Engine().load(weights, device="cuda:0").run(inputs[8])
            batch8 = parity_compare(reference=[eager8], candidate=[engine.run(inputs[8])], tol=tolerances[cls])
            assert batch8["passed"], f"batch-8 graph against eager FP16: {batch8.get('detail')}"
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
    assert graph_p50 <= 1.2 * raw_p50, f"graph engine p50 {graph_p50:.2f} ms > 1.2x raw replay {raw_p50:.2f} ms"


def test_onnxruntime_on_cuda_when_onnxruntime_gpu_is_installed(tiny_weights, demo_dataset_tree):
    from inference.engines import OnnxRuntimeCpuEngine, OnnxRuntimeCudaEngine

    ok, reason = OnnxRuntimeCudaEngine.available()
    if not ok:
        SUMMARY.append(("onnxruntime-cuda", f"skipped: {reason}"))
        pytest.skip(reason)
    from ultralytics import YOLO

    onnx_path = YOLO(str(tiny_weights)).export(format="onnx", imgsz=64, dynamic=True)
    real = parity_images(root=demo_dataset_tree / "images" / "val", imgsz=64, limit=4)  # the trained model detects
    batch = np.concatenate([np.random.default_rng(0).random((2, 3, 64, 64), dtype=np.float32), real])
    expected = OnnxRuntimeCpuEngine().load(onnx_path).run(batch)
    engine = OnnxRuntimeCudaEngine().load(onnx_path)  # refuses a session that fell back to the CPU
    assert engine.session.get_providers()[0] == "CUDAExecutionProvider"
    parity = parity_compare(reference=[expected], candidate=[engine.run(batch)],
                            tol=ParityTolerance(box_rel=1e-3, score_abs=1e-3))
    assert parity["passed"], parity.get("detail")
    SUMMARY.append(("onnxruntime-cuda", f"matches the CPU (score diff {parity['max_score_diff']:.2g}, "
                                        f"{parity['outputs'][0]['detections']['matched']} detections matched)"))


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_a_tensorrt_fp16_engine_builds_and_serves_back_to_back_inputs(alice, api, gpu_worker, tiny_model):
    from inference.engines import TensorrtEngine
    from registry.model_versions.selectors import model_file_local
    from registry.models import ModelVersion

    ok, reason = TensorrtEngine.available()
    if not ok:
        SUMMARY.append(("tensorrt", f"skipped: {reason}"))
        pytest.skip(reason)
    response = api(alice).post(f"/api/models/{tiny_model.id}/convert/", {"target": "tensorrt", "imgsz": 64,
                                                                          "half": True}, format="json")
    assert response.status_code == 202, response.json()
    job = wait_for_job_end(response.json()["job"], timeout=600)
    assert job.state == JobState.SUCCEEDED, job.error
    parity = job.result["parity"]
    assert parity["passed"] and parity["outputs"][0]["scores"]["max_abs_diff"] <= parity["tolerances"]["score_abs"]
    assert job.result["precision"] == "fp16"  # read from the built engine
    engine = TensorrtEngine().load(model_file_local(ModelVersion.objects.get(pk=job.result["model_id"])).held())
    assert engine.describe()["precision"] == "fp16"
    rng = np.random.default_rng(1)
    inputs = [rng.random((1, 3, 64, 64), dtype=np.float32) for _ in range(20)]
    first_pass = [engine.run(x) for x in inputs]  # back to back, different inputs: each answer is its own
    assert all(np.array_equal(a, engine.run(x)) for a, x in zip(first_pass, inputs))
    assert not np.array_equal(first_pass[0], first_pass[1])
    SUMMARY.append(("tensorrt fp16", "built, parity ok, back-to-back inputs stable"))
