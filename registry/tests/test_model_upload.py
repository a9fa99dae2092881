"""Uploading .pt and .onnx models: metadata, versions per name, dedupe of identical content, bad files refused."""
import pytest

from core.storage import artifact_read_bytes, sha256_of
from registry.datasets.demo_data import CLASS_NAMES
from registry.models import ModelVersion
from tests.support.model_files import as_upload, bytes_upload, model_upload, resaved_checkpoint, tiny_onnx  # noqa: F401

pytestmark = pytest.mark.django_db


def test_an_engineer_uploads_a_trained_checkpoint_and_gets_its_metadata(api, alice, tiny_weights):
    response = model_upload(api(alice), as_upload(tiny_weights, "best.pt"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "detector" and body["version"] == 1 and body["owner"] == "alice"
    assert body["format"] == "pytorch" and body["source"] == "upload" and body["task"] == "detect"
    assert body["class_names"] == CLASS_NAMES
    assert body["input_size"] == 64
    assert body["parameters"] > 1_000_000 and body["gflops"] > 0
    assert body["sha256"] == sha256_of(tiny_weights) and body["file_size"] == tiny_weights.stat().st_size
    assert body["metadata"]["ultralytics_version"]
    assert body["lineage"] == {"parent": None, "dataset": None, "job": None, "children": [], "conversions": [],
                               "produced_by_conversion": None}
    assert artifact_read_bytes(ModelVersion.objects.get(pk=body["id"]).file) == tiny_weights.read_bytes()


def test_the_same_file_under_the_same_name_returns_the_existing_version(api, alice, tiny_weights):
    first = model_upload(api(alice), as_upload(tiny_weights)).json()

    again = model_upload(api(alice), as_upload(tiny_weights))

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert ModelVersion.objects.filter(owner=alice).count() == 1


def test_new_content_under_the_same_name_becomes_the_next_version(api, alice, tiny_weights, tmp_path):
    other = resaved_checkpoint(tiny_weights, tmp_path / "other.pt", date="2020-01-01T00:00:00")
    model_upload(api(alice), as_upload(tiny_weights))

    second = model_upload(api(alice), as_upload(other))
    elsewhere = model_upload(api(alice), as_upload(other), name="another-name")

    assert second.status_code == 201 and second.json()["version"] == 2
    assert elsewhere.status_code == 201 and elsewhere.json()["version"] == 1


def test_bytes_inspected_before_are_described_without_running_the_sandbox_again(api, alice, carol, tiny_weights,
                                                                                 monkeypatch):
    first = model_upload(api(alice), as_upload(tiny_weights, "best.pt")).json()

    def no_second_inspection(**kwargs):
        raise AssertionError("the sandbox ran again for bytes it already inspected")

    monkeypatch.setattr("registry.model_versions.services.pt_inspect_in_subprocess", no_second_inspection)
    again = model_upload(api(carol), as_upload(tiny_weights, "mine.pt"), name="copy")

    assert again.status_code == 201, again.content
    body = again.json()
    for key in ("class_names", "input_size", "parameters", "task"):
        assert body[key] == first[key]
    assert body["metadata"]["original_filename"] == "mine.pt"


def test_an_onnx_upload_records_opset_inputs_outputs_and_classes(api, alice, tiny_onnx):
    response = model_upload(api(alice), as_upload(tiny_onnx, "tiny.onnx"), name="tiny-onnx")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["format"] == "onnx" and body["class_names"] == CLASS_NAMES and body["input_size"] == 64
    assert body["metadata"]["opset"] >= 11
    assert body["metadata"]["inputs"] == [{"name": "images", "shape": [1, 3, 64, 64], "dtype": "float32"}]
    assert body["metadata"]["outputs"][0]["name"] == "output0"
    assert body["parameters"] > 1_000_000


def test_a_file_that_is_not_onnx_is_refused(api, alice):
    response = model_upload(api(alice), bytes_upload(b"this is not a protobuf" * 10, "model.onnx"))

    assert response.status_code == 400
    assert "ONNX" in response.json()["detail"]


def test_an_onnx_model_the_checker_rejects_is_refused(api, alice):
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("Relu", ["undefined_input"], ["y"])
    graph = helper.make_graph([node], "broken", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    assert onnx.load_from_string(data)

    response = model_upload(api(alice), bytes_upload(data, "broken.onnx"))

    assert response.status_code == 400
    assert "checker" in response.json()["detail"]


def test_an_unsupported_file_type_is_refused(api, alice):
    response = model_upload(api(alice), bytes_upload(b"weights", "model.h5"))

    assert response.status_code == 400
    assert "unsupported file type" in response.json()["detail"]


def test_an_upload_over_the_size_limit_is_refused(api, alice, settings):
    settings.MAX_MODEL_UPLOAD_MB = 1

    response = model_upload(api(alice), bytes_upload(b"\x00" * (3 * 1024 * 1024), "big.pt"))

    assert response.status_code == 413
    assert "1 MB" in response.json()["detail"]
    assert not ModelVersion.objects.exists()


def test_a_bad_name_is_refused(api, alice, tiny_weights):
    response = model_upload(api(alice), as_upload(tiny_weights), name="../etc")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("name:")
