"""A model no engine can load (stored before uploads were checked this strictly): a JSON 422 without server paths,
the version marked not servable; a pool 500 quotes an error id."""
import pytest
from onnx import TensorProto, helper

from inference.services import _pool_error
from registry.model_versions.services import model_version_register
from registry.models import ModelFormat, ModelSource, ModelVersion

pytestmark = [pytest.mark.workers]


def _custom_op_onnx(path):
    value = helper.make_tensor_value_info
    graph = helper.make_graph([helper.make_node("EvilOp", ["images"], ["out"], domain="com.evil")], "evil",
                              [value("images", TensorProto.FLOAT, [1, 3, 64, 64])],
                              [value("out", TensorProto.FLOAT, [1, 3, 64, 64])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.evil", 1)],
                              ir_version=8)
    path.write_bytes(model.SerializeToString())
    return path


@pytest.mark.django_db(transaction=True)  # the pool reads the model row itself (serving/)
def test_a_model_no_engine_can_load_answers_422_and_is_marked_not_servable(alice, api, tmp_path, test_image,
                                                                          inference_pool):
    model = model_version_register(owner=alice, name="evil", format=ModelFormat.ONNX, source=ModelSource.UPLOAD,
                                   path=_custom_op_onnx(tmp_path / "evil.onnx"), input_size=64)
    client = api(alice)

    first = client.post(f"/api/inference/{model.pk}/predict/", {"image": test_image.open("rb")}, format="multipart")

    assert first.status_code == 422, first.content
    detail = first.json()["detail"]
    assert detail.startswith("this model cannot be served: onnxruntime-cpu could not load model"), detail
    assert "<path>" in detail or "/" not in detail, detail
    assert "var/artifacts" not in detail and str(tmp_path) not in detail
    assert ModelVersion.objects.get(pk=model.pk).metadata["unservable"]

    again = client.post(f"/api/inference/{model.pk}/predict/", {"image": test_image.open("rb")}, format="multipart")
    assert again.status_code == 422 and again.json()["detail"] == ModelVersion.objects.get(pk=model.pk).metadata[
        "unservable"]


def test_a_pool_500_answers_an_error_id_and_no_path():
    error = _pool_error({"status": 500, "detail": "onnxruntime-cpu failed: Load model from /srv/var/m.onnx failed"},
                        model_id=1)

    assert error.status == 500
    assert set(error.body()) == {"detail", "error_id"}
    assert error.body()["error_id"] in error.body()["detail"] and "/srv" not in str(error.body())
