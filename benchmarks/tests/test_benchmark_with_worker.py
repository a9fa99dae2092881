"""A real benchmark through a real gpu worker: the tiny model with `engines: auto`, measured, scored, selected,
applied, and served by the inference pool with the selected engine; impossible constraints apply nothing."""
import time

import pytest

from jobs.models import JobState
from tests.waiting import wait_for_job_end

pytestmark = [pytest.mark.workers]

URL = "/api/benchmarks/"
CPU_ENGINES = {("pytorch-cpu", "fp32"), ("onnxruntime-cpu", "fp32"), ("onnxruntime-cpu", "int8"),
               ("openvino-cpu", "int8")}
GPU_ENGINES = {"pytorch-cuda", "pytorch-cuda-fp16", "pytorch-cuda-fp16-graph", "onnxruntime-cuda", "tensorrt"}


@pytest.fixture(scope="module")
def bench_pool(_database_sessions_closed):
    """An inference pool process of our own (the inference tests' pool is theirs), stopped with the module."""
    from inference.tests.conftest import start_pool

    process = start_pool(f"bench-{int(time.time())}")
    yield process
    process.stop()


def _image_bytes(demo_dataset_tree) -> bytes:
    return sorted(demo_dataset_tree.glob("images/val/*.jpg"))[0].read_bytes()


def test_an_auto_benchmark_measures_every_cpu_engine_selects_one_and_the_pool_serves_it(
        alice, api, gpu_worker, demo_dataset, demo_dataset_tree, tiny_model, bench_pool):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry.models import Conversion

    client = api(alice)
    response = client.post(URL, {"model": tiny_model.pk, "engines": "auto", "imgsz": 64, "batch_sizes": [1, 2],
                                 "warmup": 2, "iterations": 15, "dataset": demo_dataset.pk, "apply": True,
                                 "constraints": {"max_p95_ms": 10_000}}, format="json")
    assert response.status_code == 202, response.json()
    run = response.json()
    job = wait_for_job_end(run["job"], timeout=180)
    assert job.state == JobState.SUCCEEDED, job.error
    detail = client.get(f"{URL}{run['id']}/").json()
    rows = detail["results"]

    measured = {(r["engine"], r["precision"]) for r in rows if r["status"] == "measured"}
    assert CPU_ENGINES <= measured, rows
    assert any(engine == "openvino-cpu" and precision != "int8" for engine, precision in measured)
    for row in (r for r in rows if r["status"] == "measured"):
        assert row["iterations"] >= 15 and row["fps"] > 0 and row["peak_rss_mb"] > 0
        assert row["min_ms"] <= row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert row["p50_ms_per_image"] == pytest.approx(row["p50_ms"] / row["batch_size"], rel=1e-3)
        assert row["map50_95"] is not None and row["map_drop"] is not None
    assert {r["batch_size"] for r in rows if r["engine"] == "onnxruntime-cpu"} == {1, 2}
    torch_row = next(r for r in rows if r["engine"] == "pytorch-cpu" and r["status"] == "measured")
    assert "ultralytics val" in torch_row["details"]["accuracy_val"]["protocol"]  # what val (and training) report
    assert "square letterbox" in torch_row["details"]["accuracy_protocol"]

    unavailable = {r["engine"]: r["reason"] for r in rows if r["status"] == "unavailable"}
    assert GPU_ENGINES <= set(unavailable), rows
    assert all(reason for reason in unavailable.values())
    assert all("CUDA" in unavailable[name] for name in ("pytorch-cuda", "onnxruntime-cuda", "tensorrt")), unavailable

    baseline = detail["environment"]["baseline"]
    assert (baseline["engine"], baseline["precision"]) == ("pytorch-cpu", "fp32")
    for row in rows:
        if row["status"] == "measured" and row["precision"] == "fp32":
            assert abs(row["map_drop"]) <= 0.01, row

    selected = detail["selected"]
    assert selected["engine"] and detail["applied"], selected
    assert selected["reason"].startswith("p95 ") and "≤ 10000 ms" in selected["reason"]
    assert detail["environment"]["exclusive"]["requested"] is True
    calibration = detail["environment"]["int8_calibration"]  # the train split, never the images mAP is scored on
    assert calibration["calibration_split"] == "train" and calibration["calibration_files"]
    assert not any(name.startswith("images/val/") for name in calibration["calibration_files"])
    assert Conversion.objects.filter(source=tiny_model, target="onnx").count() == 1

    model = client.get(f"/api/models/{tiny_model.pk}/").json()
    assert model["serving"] == {"engine": selected["engine"], "version": selected["source_model"],
                                "benchmark": run["id"]}
    image = SimpleUploadedFile("image.jpg", _image_bytes(demo_dataset_tree), content_type="image/jpeg")
    predicted = client.post(f"/api/inference/{tiny_model.pk}/predict/", {"image": image}, format="multipart")
    assert predicted.status_code == 200, predicted.json()
    assert predicted.json()["engine"] == selected["engine"]
    assert predicted.json()["served_model"] == selected["source_model"]

    by_hand = client.post(f"/api/models/{tiny_model.pk}/serving/", {"engine": "openvino-cpu"}, format="json")
    assert by_hand.status_code == 200 and by_hand.json()["serving"]["benchmark"] is None, by_hand.json()
    image = SimpleUploadedFile("image.jpg", _image_bytes(demo_dataset_tree), content_type="image/jpeg")
    predicted = client.post(f"/api/inference/{tiny_model.pk}/predict/", {"image": image}, format="multipart").json()
    assert predicted["engine"] == "openvino-cpu" and predicted["served_model"] == by_hand.json()["serving"]["version"]

    csv_lines = client.get(f"{URL}{run['id']}/results.csv").content.decode().strip().splitlines()
    assert csv_lines[0].startswith("id,engine,precision,batch_size,status") and len(csv_lines) == len(rows) + 1
    chart = client.get(f"{URL}{run['id']}/latency.png")
    assert chart["Content-Type"] == "image/png" and chart.content[:4] == b"\x89PNG"


def test_constraints_no_engine_meets_apply_nothing_and_name_what_blocks(alice, api, gpu_worker, tiny_model):
    client = api(alice)
    response = client.post(URL, {"model": tiny_model.pk, "engines": ["pytorch-cpu"], "imgsz": 64, "warmup": 1,
                                 "iterations": 5, "apply": True, "exclusive": False,
                                 "constraints": {"max_p95_ms": 0.001, "min_fps": 1e9}}, format="json")
    assert response.status_code == 202, response.json()
    job = wait_for_job_end(response.json()["job"], timeout=120)
    assert job.state == JobState.SUCCEEDED, job.error
    detail = client.get(f"{URL}{response.json()['id']}/").json()
    selected = detail["selected"]
    assert selected["engine"] is None and not detail["applied"]
    blocking = selected["blocking"]["pytorch-cpu (fp32) at batch 1"]  # judged per (engine, precision, batch)
    assert blocking[0].startswith("p95 ") and blocking[0].endswith("> 0.001 ms")
    assert blocking[1].startswith("throughput ") and blocking[1].endswith("< 1e+09 img/s")
    assert selected["nearest_miss"]["candidate"] == "pytorch-cpu (fp32)"
    assert client.get(f"/api/models/{tiny_model.pk}/").json()["serving"]["engine"] is None


def test_a_benchmark_records_the_job_beside_it_and_an_exclusive_one_waits_for_the_other_slot(alice, api, gpu_worker,
                                                                                           tiny_model):
    from jobs.models import Job
    from jobs.services import job_enqueue
    from tests.waiting import wait_for_job_state

    client = api(alice)
    sleeper = job_enqueue(kind="diagnostic", owner=alice, task_name="tests.sleep", queue="gpu", params={"seconds": 8})
    wait_for_job_state(sleeper.pk, JobState.RUNNING, timeout=30)
    body = {"model": tiny_model.pk, "engines": ["pytorch-cpu"], "imgsz": 64, "warmup": 1, "iterations": 20}
    beside = client.post(URL, {**body, "exclusive": False}, format="json").json()
    assert wait_for_job_end(beside["job"], timeout=60).state == JobState.SUCCEEDED
    environment = client.get(f"{URL}{beside['id']}/").json()["environment"]
    assert [(j["id"], j["kind"]) for j in environment["concurrent_jobs"]] == [(sleeper.pk, "diagnostic")]
    assert environment["exclusive"] == {"requested": False}

    exclusive = client.post(URL, body, format="json").json()
    messages = set()

    def waited():
        job = Job.objects.get(pk=exclusive["job"])
        messages.add(job.progress_message)
        return job if job.is_terminal else None

    from tests.waiting import wait_for

    job = wait_for(waited, timeout=60, interval=0.1, message="the exclusive benchmark to end")
    assert job.state == JobState.SUCCEEDED, job.error
    assert any(m.startswith(f"waiting for job {sleeper.pk} (diagnostic) on the other gpu slot") for m in messages)
    environment = client.get(f"{URL}{exclusive['id']}/").json()["environment"]
    assert environment["exclusive"]["waited_s"] > 0 and not environment["exclusive"]["timed_out"]
    assert environment["exclusive"]["waited_for"] == [{"id": sleeper.pk, "kind": "diagnostic"}]
    assert environment["exclusive"]["still_running"] == []
    assert environment["concurrent_jobs"] == []
    assert Job.objects.get(pk=sleeper.pk).finished_at <= job.finished_at
