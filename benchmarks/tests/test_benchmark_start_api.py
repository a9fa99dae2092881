"""POST /api/benchmarks/: bad parameters are 400s naming the field; viewers 403; others' models 404 (no worker)."""
import pytest

from jobs.models import JobState
from tests.support.rows import benchmark_run_row

URL = "/api/benchmarks/"

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body, field, words", [
    ({"engines": ["onnxruntime-cpu", "warp-drive"]}, "engines", "unknown engine warp-drive"),
    ({"engines": []}, "engines", "auto"),
    ({"batch_sizes": [0]}, "batch_sizes", "greater than or equal to 1"),
    ({"batch_sizes": [1, 1]}, "batch_sizes", "twice"),
    ({"imgsz": 100}, "imgsz", "multiple of 32"),
    ({"iterations": 0}, "iterations", "greater than or equal to 1"),
    ({"objective": "vibes"}, "objective", "not a valid choice"),
    ({"constraints": {"max_p95_ms": -1}}, "constraints", "greater than or equal to"),
    ({"constraints": {"max_latency": 5}}, "constraints", "unknown field"),
    ({"colour": "blue"}, "colour", "unknown field"),
])
def test_bad_parameters_are_a_400_naming_the_field(alice, api, tiny_model, body, field, words):
    response = api(alice).post(URL, {"model": tiny_model.pk, **body}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert words in str(errors[field])


def test_an_accuracy_constraint_without_a_dataset_is_a_400(alice, api, tiny_model):
    response = api(alice).post(URL, {"model": tiny_model.pk, "constraints": {"min_map50_95": 0.5}}, format="json")
    assert response.status_code == 400
    assert "needs a `dataset`" in str(response.json()["errors"]["constraints"]["min_map50_95"])


def test_a_viewer_may_not_start_a_benchmark(bob, api, tiny_model):
    response = api(bob).post(URL, {"model": tiny_model.pk}, format="json")
    assert response.status_code == 403


def test_another_engineers_model_is_a_404(carol, api, tiny_model):
    response = api(carol).post(URL, {"model": tiny_model.pk}, format="json")
    assert response.status_code == 404


def test_another_engineers_benchmark_is_a_404(carol, alice, api, tiny_model):
    run = benchmark_run_row(owner=alice, model=tiny_model, state=JobState.QUEUED)
    assert api(carol).get(f"{URL}{run.pk}/").status_code == 404
    assert api(carol).get(f"{URL}{run.pk}/latency.png").status_code == 404
    assert api(alice).get(f"{URL}{run.pk}/latency.png")["Content-Type"] == "image/png"


def test_the_serving_engine_is_set_and_cleared_by_hand_only_for_a_format_it_loads(alice, bob, api, tiny_model):
    url = f"/api/models/{tiny_model.pk}/serving/"
    refused = api(alice).post(url, {"engine": "openvino-cpu"}, format="json")
    assert refused.status_code == 400 and "has no such conversion" in str(refused.json()["errors"]["engine"])
    assert api(alice).post(url, {"engine": "nope"}, format="json").status_code == 400
    assert api(bob).post(url, {"engine": "pytorch-cpu"}, format="json").status_code == 404  # private: unseen
    response = api(alice).post(url, {"engine": "pytorch-cpu"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["serving"] == {"engine": "pytorch-cpu", "version": tiny_model.pk, "benchmark": None}
    cleared = api(alice).post(url, {"engine": ""}, format="json").json()
    assert cleared["serving"] == {"engine": None, "version": None, "benchmark": None}


def test_the_admin_shows_a_run_with_its_result_table_selection_and_chart(root, alice, tiny_model):
    from django.test import Client

    from benchmarks.models import BenchmarkResult, timings_pack
    from conftest import PASSWORD

    run = benchmark_run_row(owner=alice, model=tiny_model, params={"imgsz": 64},
                            selected={"candidate": "openvino-cpu (int8)", "reason": "fastest (p95) of 2"})
    BenchmarkResult.objects.create(run=run, engine="openvino-cpu", precision="int8", status="measured", p50_ms=1.5,
                                   timings=timings_pack([1.4, 1.5, 1.7]))
    client = Client()
    assert client.login(username=root.username, password=PASSWORD)
    assert "openvino-cpu (int8)" in client.get("/admin/benchmarks/benchmarkrun/").content.decode()
    page = client.get(f"/admin/benchmarks/benchmarkrun/{run.pk}/change/").content.decode()
    assert "fastest (p95) of 2" in page and f"/api/benchmarks/{run.pk}/latency.png" in page and "1.5" in page


def test_a_model_fine_tuned_from_this_one_may_not_serve_it_but_a_conversion_may(alice, api, tiny_model):
    import hashlib

    from registry.models import ModelVersion

    def child(source, fmt):
        digest = hashlib.sha256(f"{source}{fmt}".encode()).hexdigest()
        return ModelVersion.objects.create(name=tiny_model.name, version=tiny_model.version + 1 + (fmt == "onnx"),
                                           owner=alice, format=fmt, source=source, parent=tiny_model,
                                           file=f"models/{digest}", sha256=digest, input_size=64)

    url = f"/api/models/{tiny_model.pk}/serving/"
    tuned = child("training", "pytorch")  # other weights, other classes: never this model's serving version
    refused = api(alice).post(url, {"engine": "pytorch-cpu", "version": tuned.pk}, format="json")
    assert refused.status_code == 400 and "not model" in str(refused.json()["errors"]["version"])
    onnx = child("conversion", "onnx")
    accepted = api(alice).post(url, {"engine": "onnxruntime-cpu", "version": onnx.pk}, format="json")
    assert accepted.status_code == 200 and accepted.json()["serving"]["version"] == onnx.pk
