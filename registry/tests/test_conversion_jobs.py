"""Conversions run as jobs on a real gpu-queue worker: ONNX with a parity check, dedupe, TensorRT unavailable."""
import pytest

from jobs.models import Job, JobState
from registry.models import Conversion, ModelVersion
from tests.waiting import wait_for_job_state

pytestmark = pytest.mark.django_db(transaction=True)


def convert(client, model_id, **body):
    return client.post(f"/api/models/{model_id}/convert/", body, format="json")


def test_an_onnx_conversion_checks_parity_and_registers_a_child_version(api, alice, tiny_model, gpu_worker):
    client = api(alice)
    options = {"target": "onnx", "imgsz": 64, "opset": None, "dynamic": False, "simplify": True}

    response = convert(client, tiny_model.pk, **options)

    assert response.status_code == 202, response.content
    started = response.json()
    job = wait_for_job_state(started["job"], [JobState.SUCCEEDED, JobState.FAILED], timeout=180)
    assert job.state == JobState.SUCCEEDED, job.error
    parity = job.result["parity"]
    assert parity["passed"] and parity["mean_abs_diff"] <= parity["max_abs_diff"]
    head = parity["outputs"][0]  # the per-output figures: boxes relative, scores absolute, detections after NMS
    assert head["boxes"]["max_abs_diff"] <= head["boxes"]["tolerance"]
    assert head["scores"]["max_abs_diff"] <= head["scores"]["tolerance"] == parity["tolerances"]["score_abs"]
    assert head["detections"]["passed"] and "count_above_conf" in head["detections"]
    assert job.result["export_seconds"] > 0
    onnx = ModelVersion.objects.get(pk=job.result["model_id"])
    assert onnx.format == "onnx" and onnx.source == "conversion" and onnx.parent_id == tiny_model.pk
    assert onnx.name == tiny_model.name and onnx.version == tiny_model.version + 1 and onnx.owner_id == alice.pk
    assert onnx.class_names == tiny_model.class_names and onnx.input_size == 64 and onnx.job_id == job.pk
    assert onnx.metadata["opset"] >= 11 and onnx.metadata["inputs"][0]["shape"] == [1, 3, 64, 64]
    assert Conversion.objects.get(pk=started["id"]).result_id == onnx.pk and onnx.metadata["parity"] == parity

    again = convert(client, tiny_model.pk, **options)

    assert again.status_code == 200
    assert again.json()["id"] == started["id"] and again.json()["job"] == started["job"]
    assert again.json()["result"] == onnx.pk and again.json()["parity"] == parity
    lineage = client.get(f"/api/models/{tiny_model.pk}/").json()["lineage"]
    assert lineage["children"] == [onnx.pk] and lineage["conversions"][0]["state"] == "SUCCEEDED"
    assert client.get(f"/api/models/{onnx.pk}/").json()["lineage"]["parent"] == tiny_model.pk


def test_a_tensorrt_conversion_on_a_worker_without_tensorrt_or_gpu_fails_saying_which(api, alice, tiny_model,
                                                                                      gpu_worker):
    client = api(alice)

    response = convert(client, tiny_model.pk, target="tensorrt", imgsz=64, half=True)

    assert response.status_code == 202, response.content
    job = wait_for_job_state(response.json()["job"], [JobState.SUCCEEDED, JobState.FAILED], timeout=120)
    assert job.state == JobState.FAILED
    assert "TensorRT is not installed on this worker" in job.error
    assert "no CUDA GPU on this worker" in job.error
    assert not ModelVersion.objects.filter(format="tensorrt").exists()

    retry = convert(client, tiny_model.pk, target="tensorrt", imgsz=64, half=True)

    assert retry.status_code == 202  # a FAILED conversion is tried again, not returned
    assert retry.json()["job"] != job.pk
    Job.objects.filter(pk=retry.json()["job"]).update(cancel_requested=True)
    wait_for_job_state(retry.json()["job"], [JobState.FAILED, JobState.CANCELLED], timeout=120)
