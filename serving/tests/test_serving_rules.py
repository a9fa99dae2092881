"""Serving's one home, without processes: which conversion serves by default (one rule: full precision only), which
choice applies to a hardware class (its own, else the every-class one, else the defaults), and the URL's checks."""
import hashlib

import pytest

from serving.selectors import serving_resolve
from serving.services import serving_set

pytestmark = pytest.mark.django_db

CPU = {"onnxruntime-cpu", "openvino-cpu", "pytorch-cpu"}


def _child(model, fmt, *, quantization=None, source="conversion"):
    from registry.models import ModelVersion

    digest = hashlib.sha256(f"{model.pk}{fmt}{quantization}{source}".encode()).hexdigest()
    return ModelVersion.objects.create(name=model.name, version=ModelVersion.objects.count() + 10, owner=model.owner,
                                       format=fmt, source=source, parent=model, file=f"models/{digest}",
                                       sha256=digest, input_size=64,
                                       metadata={"quantization": quantization} if quantization else {})


def test_a_quantized_conversion_never_serves_by_default_the_full_precision_one_does(alice, tiny_model):
    fp32 = _child(tiny_model, "onnx")
    int8 = _child(tiny_model, "onnx", quantization="int8")  # newer, but its accuracy was never checked
    assert serving_resolve(model=tiny_model, hardware_class="cpu:amx", available=CPU)["model_id"] == fp32.pk
    choice = serving_set(user=alice, model=tiny_model, engine="onnxruntime-cpu")
    assert choice.version_id == fp32.pk  # the same rule when serving is set without a version
    explicit = serving_set(user=alice, model=tiny_model, engine="onnxruntime-cpu", version=int8)
    assert explicit.version_id == int8.pk  # chosen explicitly, it serves
    assert serving_resolve(model=tiny_model, hardware_class="cpu:amx", available=CPU)["model_id"] == int8.pk


def test_a_choice_for_one_class_is_not_used_by_another_which_takes_the_every_class_one_or_the_default(alice,
                                                                                                   tiny_model):
    onnx = _child(tiny_model, "onnx")
    serving_set(user=alice, model=tiny_model, engine="openvino-cpu", hardware_class="cpu:amx")
    amx = serving_resolve(model=tiny_model, hardware_class="cpu:amx", available=CPU)
    assert (amx["engine"], amx["model_id"], amx["choice"]["hardware_class"]) == ("openvino-cpu", onnx.pk, "cpu:amx")
    gpu = serving_resolve(model=tiny_model, hardware_class="gpu:NVIDIA H100", available=CPU)
    assert gpu["choice"] is None and gpu["engine"] == "" and gpu["model_id"] == onnx.pk  # the default
    from serving.models import ServingChoice

    ServingChoice.objects.create(model=tiny_model, hardware_class="", engine="pytorch-cpu", version=tiny_model)
    gpu = serving_resolve(model=tiny_model, hardware_class="gpu:NVIDIA H100", available=CPU)
    assert (gpu["engine"], gpu["model_id"], gpu["choice"]["hardware_class"]) == ("pytorch-cpu", tiny_model.pk, "")
    assert serving_resolve(model=tiny_model, hardware_class="cpu:amx", available=CPU)["engine"] == "openvino-cpu"
    serving_set(user=alice, model=tiny_model, engine="onnxruntime-cpu")  # by hand, no class: the one engine again
    for cls in ("cpu:amx", "gpu:NVIDIA H100"):
        assert serving_resolve(model=tiny_model, hardware_class=cls, available=CPU)["engine"] == "onnxruntime-cpu"


def test_the_url_sets_and_clears_per_class_and_refuses_a_malformed_class(alice, bob, api, tiny_model):
    url = f"/api/models/{tiny_model.pk}/serving/"
    client = api(alice)
    bad = client.post(url, {"engine": "pytorch-cpu", "hardware_class": "tpu:v5"}, format="json")
    assert bad.status_code == 400 and "hardware_class" in bad.json()["errors"]
    # a viewer's write on a model they cannot see is a 404 (docs/security.md)
    assert api(bob).post(url, {"engine": "pytorch-cpu", "hardware_class": "cpu:amx"}, format="json").status_code == 404
    set_amx = client.post(url, {"engine": "pytorch-cpu", "hardware_class": "cpu:amx"}, format="json")
    assert set_amx.status_code == 200, set_amx.json()
    assert set_amx.json()["serving"] == {"engine": "pytorch-cpu", "version": tiny_model.pk, "benchmark": None}
    client.post(url, {"engine": "pytorch-cpu", "hardware_class": "cpu:avx2"}, format="json")
    classes = [c["hardware_class"] for c in client.get(f"/api/models/{tiny_model.pk}/").json()["serving_by_class"]]
    assert classes == ["cpu:amx", "cpu:avx2"]
    after = client.post(url, {"engine": "", "hardware_class": "cpu:amx"}, format="json").json()
    assert [c["hardware_class"] for c in after["serving_by_class"]] == ["cpu:avx2"]
    everywhere = client.post(url, {"engine": "pytorch-cpu"}, format="json").json()  # replaces the per-class ones
    assert [c["hardware_class"] for c in everywhere["serving_by_class"]] == [""]
    cleared = client.post(url, {"engine": ""}, format="json").json()
    assert cleared["serving_by_class"] == [] and cleared["serving"]["engine"] is None


@pytest.mark.django_db(transaction=True)
def test_existing_selections_became_every_class_choices_by_the_migration():
    """Migrate back to the registry fields, write a selection there, migrate forward: it is an every-class choice."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("registry", "0003_explicit_usage_protect"), ("serving", "0001_initial")]
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        owner = old.get_model("accounts", "User").objects.create(username="mig", role="engineer")
        Model = old.get_model("registry", "ModelVersion")
        common = {"owner": owner, "name": "m", "file": "models/x", "sha256": "0" * 64}
        pt = Model.objects.create(version=1, format="pytorch", source="upload", **common)
        onnx = Model.objects.create(version=2, format="onnx", source="conversion", parent=pt, **common)
        Model.objects.filter(pk=pt.pk).update(selected_engine="openvino-cpu", serving_version=onnx)
        Model.objects.filter(pk=onnx.pk).update(selected_engine="onnxruntime-cpu")
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
    finally:
        MigrationExecutor(connection).migrate(leaves)
    from serving.models import ServingChoice

    choices = {c.model_id: (c.hardware_class, c.engine, c.version_id) for c in ServingChoice.objects.all()}
    assert choices == {pt.pk: ("", "openvino-cpu", onnx.pk), onnx.pk: ("", "onnxruntime-cpu", onnx.pk)}
