"""Reports from real jobs: a tiny training run and a benchmark on a real gpu worker, reports rendered by a real
default worker through the API, checked against what the training and benchmark APIs answer."""
import pytest

from jobs.models import JobState
from reports.snapshot_schema import snapshot_errors
from tests.waiting import wait_for_job_end

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def _report(client, body) -> dict:
    response = client.post("/api/reports/", body, format="json")
    assert response.status_code == 202, response.json()
    job = wait_for_job_end(response.json()["job"], timeout=120)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.worker.startswith("default-")  # rendered on the default queue, not in a GPU slot
    report = client.get(f"/api/reports/{response.json()['id']}/").json()
    assert snapshot_errors(report["report"]) == []
    return report


def test_reports_of_a_real_training_run_benchmark_and_model_match_their_sources(alice, api, gpu_worker, default_worker,
                                                                                demo_dataset):
    client = api(alice)
    train = {"dataset": demo_dataset.pk, "preset": "yolov8n", "epochs": 2, "imgsz": 64, "batch": 16, "seed": 0,
             "hyperparameters": {"warmup_epochs": 0}}
    good = client.post("/api/training-runs/", train, format="json").json()
    doomed = client.post("/api/training-runs/", {**train, "epochs": 300, "time_limit_seconds": 2,
                                                 "name": "doomed"}, format="json").json()
    assert wait_for_job_end(good["job"], timeout=150).state == JobState.SUCCEEDED
    failed_job = wait_for_job_end(doomed["job"], timeout=90)
    assert failed_job.state == JobState.FAILED
    run = client.get(f"/api/training-runs/{good['id']}/").json()

    bench = client.post("/api/benchmarks/", {"model": run["result_model"], "engines": ["pytorch-cpu", "onnxruntime-cpu"],
                                             "imgsz": 64, "batch_sizes": [1], "warmup": 2, "iterations": 10,
                                             "exclusive": False}, format="json")
    assert bench.status_code == 202, bench.json()
    assert wait_for_job_end(bench.json()["job"], timeout=150).state == JobState.SUCCEEDED
    benchmark = client.get(f"/api/benchmarks/{bench.json()['id']}/").json()

    training_report = _report(client, {"subject": "training_run", "id": good["id"]})["report"]
    rows = training_report["tables"]["epochs"]["rows"]
    assert [r["epoch"] for r in rows] == [e["epoch"] for e in run["epochs"]] == [1, 2]
    assert [r["box_loss"] for r in rows] == pytest.approx([e["box_loss"] for e in run["epochs"]])
    assert training_report["metadata"]["lineage"]["dataset"]["sha256"] == demo_dataset.sha256
    assert training_report["metadata"]["jobs"][0]["worker"].startswith("gpu-")

    failed_report = _report(client, {"subject": "training_run", "id": doomed["id"],
                                      "baseline": {"subject": "training_run", "id": good["id"]}})["report"]
    first = failed_report["summary"]["findings"][0]
    assert first["light"] == "red" and first["text"] == f"The training run failed: {failed_job.error}."
    assert "timeout" in failed_job.error and failed_report["summary"]["status"] == "red"

    benchmark_report = _report(client, {"subject": "benchmark", "id": benchmark["id"]})["report"]
    source = {(r["engine"], r["precision"], r["batch_size"]): r for r in benchmark["results"]}
    table = benchmark_report["tables"]["results"]["rows"]
    assert len(table) == len(source)
    for row in table:
        expected = source[(row["engine"], row["precision"], row["batch_size"])]
        assert row["status"] == expected["status"]
        for column in ("p50_ms", "p95_ms", "fps"):
            assert row[column] == (pytest.approx(expected[column]) if expected[column] is not None else None)
    assert benchmark_report["metadata"]["environment"]["measured_by"]["host"]["cpu_count"] >= 1
    measured = [r for r in table if r["status"] == "measured"]
    fastest = min(measured, key=lambda r: r["p95_ms_per_image"])
    texts = [f["text"] for f in benchmark_report["summary"]["findings"]]
    assert any(t.startswith(f"Fastest engine measured: {fastest['candidate']}") for t in texts)

    model_report = _report(client, {"subject": "model", "id": run["result_model"]})["report"]
    assert [r["id"] for r in model_report["tables"]["benchmarks"]["rows"]] == [benchmark["id"]]
    assert model_report["metadata"]["lineage"]["models"][0]["dataset"]["sha256"] == demo_dataset.sha256
