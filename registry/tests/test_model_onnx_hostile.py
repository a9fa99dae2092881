"""Hostile ONNX uploads (the attack of issue 21 and one more): each is refused with a 400 naming why, nothing kept."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from registry.models import ModelVersion
from tests.support.model_files import bytes_upload, model_upload

pytestmark = pytest.mark.django_db

OPSET = [helper.make_opsetid("", 17)]


def _model(nodes, inputs, outputs, initializers=(), opsets=OPSET) -> bytes:
    graph = helper.make_graph(nodes, "hostile", inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=list(opsets), ir_version=8).SerializeToString()


def _tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _refused(api, alice, data: bytes) -> str:
    response = model_upload(api(alice), bytes_upload(data, "hostile.onnx"))
    assert response.status_code == 400, response.content
    assert ModelVersion.objects.count() == 0
    detail = response.json()["detail"]
    assert "/" + "var/" not in detail and "/tmp" not in detail, detail  # no server path in the answer
    return detail


def test_an_input_of_100000_by_100000_is_refused(api, alice):
    data = _model([helper.make_node("Identity", ["images"], ["out"])],
                  [_tensor("images", [1, 3, 100000, 100000])], [_tensor("out", [1, 3, 100000, 100000])])

    assert "dimension of 100000, over the limit of 2048" in _refused(api, alice, data)


def test_a_custom_operator_domain_is_refused(api, alice):
    data = _model([helper.make_node("EvilOp", ["images"], ["out"], domain="com.evil")],
                  [_tensor("images", [1, 3, 64, 64])], [_tensor("out", [1, 3, 64, 64])],
                  opsets=OPSET + [helper.make_opsetid("com.evil", 1)])

    assert "com.evil:EvilOp is not from a standard ONNX domain" in _refused(api, alice, data)


def test_a_node_that_allocates_gigabytes_is_refused_by_the_sandboxed_load(api, alice):
    shape = numpy_helper.from_array(np.array([1, 3, 64, 100_000_000], dtype=np.int64), "shape")
    data = _model([helper.make_node("ConstantOfShape", ["shape"], ["big"]),
                   helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
                   helper.make_node("Add", ["images", "total"], ["out"])],
                  [_tensor("images", [1, 3, 64, 64])], [_tensor("out", [1, 3, 64, 64])], [shape])

    assert "more memory than inspection allows" in _refused(api, alice, data)


def test_a_custom_operator_hidden_in_a_branch_is_refused(api, alice):
    # the If's branches are subgraphs: a check of the top-level nodes alone would let this one through
    evil = helper.make_graph([helper.make_node("EvilOp", ["images"], ["branch_out"], domain="com.evil")], "then",
                             [], [_tensor("branch_out", [1, 3, 64, 64])])
    plain = helper.make_graph([helper.make_node("Identity", ["images"], ["branch_out"])], "else",
                              [], [_tensor("branch_out", [1, 3, 64, 64])])
    cond = numpy_helper.from_array(np.array(True), "cond")
    data = _model([helper.make_node("If", ["cond"], ["out"], then_branch=evil, else_branch=plain)],
                  [_tensor("images", [1, 3, 64, 64])], [_tensor("out", [1, 3, 64, 64])], [cond],
                  opsets=OPSET + [helper.make_opsetid("com.evil", 1)])

    assert "com.evil:EvilOp" in _refused(api, alice, data)


def test_a_tile_to_gigabytes_at_run_time_is_refused(api, alice):
    # the tile depends on the input, so nothing is folded at load: only running the model once shows it
    data = _model([helper.make_node("Tile", ["images", "repeats"], ["big"]),
                   helper.make_node("ReduceMax", ["big"], ["out"], keepdims=1)],
                  [_tensor("images", [1, 3, 64, 64])], [_tensor("out", [1, 1, 1, 1])],
                  [numpy_helper.from_array(np.array([1, 1, 1, 76_000], dtype=np.int64), "repeats")])  # 3.7 GB

    assert "more memory than inspection allows" in _refused(api, alice, data)


def test_bytes_stored_before_the_checks_are_checked_again_when_uploaded_again(api, alice, carol, tmp_path):
    from registry.model_versions.services import model_version_register
    from registry.models import ModelFormat, ModelSource

    data = _model([helper.make_node("Identity", ["images"], ["out"])],
                  [_tensor("images", [1, 3, 100000, 100000])], [_tensor("out", [1, 3, 100000, 100000])])
    (tmp_path / "old.onnx").write_bytes(data)
    model_version_register(owner=carol, name="from-before", format=ModelFormat.ONNX, source=ModelSource.UPLOAD,
                           path=tmp_path / "old.onnx", input_size=100000)

    response = model_upload(api(alice), bytes_upload(data, "again.onnx"))

    assert response.status_code == 400 and "over the limit of 2048" in response.json()["detail"]
