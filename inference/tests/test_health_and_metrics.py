"""The pool's health (processes and warm models), /api/health's inference count, and /metrics."""
import pytest
from rest_framework.test import APIClient

from tests.waiting import wait_for

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]  # the pool reads the rows


def _predict(client, model_id, path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("a.jpg", path.read_bytes(), content_type="image/jpeg")
    return client.post(f"/api/inference/{model_id}/predict/", {"image": image}, format="multipart")


def test_health_lists_pool_processes_and_the_models_they_hold_warm(alice, api, onnx_model, test_image,
                                                                   inference_pool):
    assert _predict(api(alice), onnx_model.pk, test_image).status_code == 200

    def warm():
        body = api(alice).get("/api/inference/health/").json()
        return body if any(m["model_id"] == onnx_model.pk for w in body["workers"] for m in w["models"]) else None

    body = wait_for(warm, timeout=10)
    assert body["status"] == "ok" and body["processes"] >= 1
    assert "onnxruntime-cpu" in body["workers"][0]["engines"]
    assert "tensorrt" in body["workers"][0]["unavailable_engines"]


def test_a_warm_model_serves_every_later_prediction_without_loading_again(alice, api, onnx_model, test_image,
                                                                         inference_pool):
    """The pool's health says when each warm model was loaded: more predictions leave it unchanged (a cache keyed
    on a per-request object once loaded and warmed the model for every prediction, ~0.4 s each)."""
    def held(after: float = 0.0):
        body = api(alice).get("/api/inference/health/").json()
        return next((m for w in body["workers"] for m in w["models"]
                     if m["model_id"] == onnx_model.pk and m["last_used"] > after), None)

    assert _predict(api(alice), onnx_model.pk, test_image).status_code == 200
    first = wait_for(held, timeout=10)
    for _ in range(3):
        assert _predict(api(alice), onnx_model.pk, test_image).status_code == 200
    later = wait_for(lambda: held(after=first["last_used"]), timeout=10)
    assert later["loaded_at"] == first["loaded_at"]


def test_platform_health_counts_live_pool_processes_as_inference_workers(inference_pool):
    from config.health import workers_per_queue

    assert workers_per_queue(timeout=0.2)["inference"] >= 1


def test_the_container_health_check_passes_while_a_pool_runs_on_this_host(inference_pool):
    from django.core.management import call_command

    with pytest.raises(SystemExit) as exited:
        call_command("inference_pool", check=True)
    assert exited.value.code == 0


def test_metrics_show_requests_latency_batches_and_queue_depth_without_a_jwt(alice, api, onnx_model, test_image,
                                                                             inference_pool):
    assert _predict(api(alice), onnx_model.pk, test_image).status_code == 200

    def scraped():
        text = APIClient().get("/metrics").content.decode()
        return text if f'model="{onnx_model.pk}"' in text and "inference_pool_batch_size_bucket" in text else None

    text = wait_for(scraped, timeout=10)
    assert f'inference_requests_total{{engine="onnxruntime-cpu",model="{onnx_model.pk}",status="200"}}' in text
    assert "inference_request_seconds_bucket" in text
    assert "inference_pool_inference_seconds_bucket" in text
    assert "inference_pool_processes" in text
    assert "inference_queue_depth" in text


def test_metrics_can_be_restricted_by_token_and_by_address(settings):
    settings.METRICS_TOKEN = "s3cret"
    assert APIClient().get("/metrics").status_code == 403
    assert APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200
    settings.METRICS_TOKEN = None
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert APIClient().get("/metrics").status_code == 403
    settings.METRICS_ALLOWED_IPS = ["127.0.0.0/8"]
    assert APIClient().get("/metrics").status_code == 200


def test_the_probe_lists_engines_from_the_engines_themselves():
    from inference.engines import ENGINES
    from inference.probe import available_engines

    engines = available_engines()
    assert set(engines) == set(ENGINES)
    assert engines["onnxruntime-cpu"]["available"] is True
    assert engines["tensorrt"]["available"] is False and engines["tensorrt"]["reason"]
