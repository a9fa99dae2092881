"""Conversion requests: options validated by schema, roles and ownership, sources that cannot be converted."""
import pytest

from jobs.models import Job, JobState
from registry.conversions.parity import parity_compare
from registry.models import Conversion

pytestmark = pytest.mark.django_db


def convert(client, model_id, **body):
    return client.post(f"/api/models/{model_id}/convert/", body, format="json")


@pytest.mark.parametrize("body, field", [
    ({"target": "onnx", "imgsz": 100}, "imgsz"),
    ({"target": "onnx", "imgsz": 4096}, "imgsz"),
    ({"target": "onnx", "opset": 5}, "opset"),
    ({"target": "onnx", "opset": 23}, "opset"),
    ({"target": "onnx", "half": True}, "half"),
    ({"target": "onnx", "colour": "blue"}, "colour"),
    ({"target": "tflite"}, "target"),
    ({"target": "tensorrt", "simplify": False}, "simplify"),
    ({}, "target"),
])
def test_bad_conversion_options_are_refused_naming_the_field(api, alice, tiny_model, body, field):
    response = convert(api(alice), tiny_model.pk, **body)

    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{field}:")
    assert not Job.objects.exists()


def test_a_viewer_cannot_start_a_conversion(api, bob, tiny_model):
    tiny_model.shared = True
    tiny_model.save()

    assert convert(api(bob), tiny_model.pk, target="onnx", imgsz=64).status_code == 403


def test_an_engineer_cannot_convert_someone_elses_model(api, carol, tiny_model):
    assert convert(api(carol), tiny_model.pk, target="onnx", imgsz=64).status_code == 404
    tiny_model.shared = True
    tiny_model.save()
    assert convert(api(carol), tiny_model.pk, target="onnx", imgsz=64).status_code == 403


def test_an_onnx_model_cannot_be_exported_to_onnx_again(api, alice, tiny_model):
    tiny_model.format = "onnx"
    tiny_model.save()

    response = convert(api(alice), tiny_model.pk, target="onnx", imgsz=64)

    assert response.status_code == 400
    assert "already onnx" in response.json()["detail"]


def test_a_request_creates_a_queued_job_on_the_gpu_queue(api, alice, tiny_model, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # no worker here: the task is not sent
        response = convert(api(alice), tiny_model.pk, target="onnx")

    assert response.status_code == 202, response.content
    body = response.json()
    job = Job.objects.get(pk=body["job"])
    assert job.queue == "gpu" and job.state == JobState.QUEUED and job.params["source"] == tiny_model.pk
    assert body["options"] == {"imgsz": 64, "opset": None, "dynamic": False, "simplify": True}
    assert Conversion.objects.get(pk=body["id"]).job_id == job.pk


def test_parity_fails_when_the_difference_passes_the_tolerance():
    import numpy as np

    from registry.conversions.parity import ParityTolerance

    tol = ParityTolerance(box_rel=1e-3, score_abs=1e-3)
    reference = [np.array([[0.0, 10.0], [0.5, 0.25]])]  # not a detection head: one relative tolerance
    close = parity_compare(reference=reference, candidate=[reference[0] + 0.005], tol=tol)
    far = parity_compare(reference=reference, candidate=[reference[0] + 0.02], tol=tol)

    assert close["passed"] and close["tolerance"] == pytest.approx(0.01)
    assert not far["passed"] and far["max_abs_diff"] == pytest.approx(0.02)
    assert not parity_compare(reference=reference, candidate=[np.zeros((1, 2))], tol=tol)["passed"]


def test_a_tensorrt_build_reuses_an_earlier_static_onnx_conversion_of_the_same_size(alice, tiny_model, tmp_path):
    from registry.conversions.runner import _onnx_for_tensorrt
    from registry.model_versions.services import model_version_register

    results = []
    for index, (state, dynamic) in enumerate(((JobState.SUCCEEDED, True), (JobState.FAILED, False),
                                              (JobState.SUCCEEDED, False), (JobState.SUCCEEDED, False))):
        onnx_file = tmp_path / f"m{index}.onnx"
        onnx_file.write_bytes(f"onnx bytes {index}".encode())
        onnx = model_version_register(owner=alice, name="tiny", format="onnx", source="conversion",
                                      path=onnx_file, parent=tiny_model)
        job = Job.objects.create(kind="conversion", owner=alice, queue="gpu", state=state)
        imgsz = 128 if index == 3 else 64
        Conversion.objects.create(source=tiny_model, target="onnx", job=job, options_key=f"k{job.pk}", result=onnx,
                                  options={"imgsz": imgsz, "opset": None, "dynamic": dynamic, "simplify": True})
        results.append(onnx)
    onnx = results[2]  # the only succeeded, static, 64-px one
    trt_job = Job.objects.create(kind="conversion", owner=alice, queue="gpu")
    wanted = Conversion.objects.create(source=tiny_model, target="tensorrt", job=trt_job, options_key="trt",
                                       options={"imgsz": 64, "half": True, "workspace_gb": 4})

    path, origin = _onnx_for_tensorrt(ctx=None, conversion=wanted, scratch=tmp_path)

    assert path.read_bytes() == b"onnx bytes 2" and path.name == f"{onnx.sha256}.onnx" and origin == {"onnx_from": "conversion", "onnx_model_id": onnx.pk}


def test_a_succeeded_conversion_whose_result_was_deleted_is_converted_again(api, alice, tiny_model,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = convert(api(alice), tiny_model.pk, target="onnx").json()
    Job.objects.filter(pk=first["job"]).update(state=JobState.SUCCEEDED)  # its ONNX version since deleted: no result
    with django_capture_on_commit_callbacks(execute=False):
        again = convert(api(alice), tiny_model.pk, target="onnx")
    assert again.status_code == 202 and again.json()["job"] != first["job"]
