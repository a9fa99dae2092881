"""POST /api/inference/{id}/predict/ through a real pool process: parity with ultralytics, batching, visibility."""
import base64
import threading

import pytest

from tests.ml_fixtures import TINY_IMGSZ

pytestmark = [pytest.mark.workers]

CONF = 0.001


def _predict(client, model_id, image_bytes, **params):
    return client.post(f"/api/inference/{model_id}/predict/", {"image": _file(image_bytes), **params},
                       format="multipart")


def _file(data: bytes, name="image.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _ultralytics(weights, image_path):
    from ultralytics import YOLO

    result = YOLO(str(weights), task="detect").predict(str(image_path), imgsz=TINY_IMGSZ, conf=CONF, iou=0.7,
                                                       device="cpu", verbose=False)[0]
    boxes = result.boxes
    return [(int(c), float(p), [float(v) for v in box]) for c, p, box in
            zip(boxes.cls.tolist(), boxes.conf.tolist(), boxes.xyxy.tolist())]


def _assert_same(ours: list[dict], theirs: list[tuple]):
    assert theirs, "the reference found nothing: lower CONF so the parity check compares real detections"
    assert len(ours) == len(theirs)
    for mine, (class_id, confidence, box) in zip(ours, theirs):
        assert mine["class_id"] == class_id
        assert abs(mine["confidence"] - confidence) < 1e-3
        assert max(abs(a - b) for a, b in zip(mine["box"], box)) < 1.0


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_detections_on_the_tiny_onnx_model_match_ultralytics_predict(alice, api, onnx_model, tiny_onnx, test_image,
                                                                      inference_pool):
    response = _predict(api(alice), onnx_model.pk, test_image.read_bytes(), conf=CONF)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["engine"] == "onnxruntime-cpu"
    result = body["results"][0]
    assert (result["width"], result["height"]) == (96, 64)
    assert set(result["timings"]) == {"queue_ms", "preprocess_ms", "inference_ms", "postprocess_ms", "total_ms"}
    assert set(result["detections"][0]) == {"class_id", "class_name", "confidence", "box"}
    _assert_same(result["detections"], _ultralytics(tiny_onnx, test_image))


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_a_pytorch_model_without_onnx_is_served_by_the_pytorch_engine_and_matches(alice, api, tiny_model, tiny_weights,
                                                                                   test_image, inference_pool):
    response = _predict(api(alice), tiny_model.pk, test_image.read_bytes(), conf=CONF)
    assert response.status_code == 200, response.json()
    assert response.json()["engine"] == "pytorch-cpu"
    _assert_same(response.json()["results"][0]["detections"], _ultralytics(tiny_weights, test_image))


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_a_pytorch_model_with_an_onnx_conversion_is_served_from_the_onnx(alice, api, tiny_model, tiny_onnx,
                                                                         test_image, inference_pool):
    from .conftest import onnx_version

    converted = onnx_version(alice, tiny_onnx, name="tiny-converted", parent=tiny_model)
    body = _predict(api(alice), tiny_model.pk, test_image.read_bytes()).json()
    assert body["engine"] == "onnxruntime-cpu" and body["served_model"] == converted.pk


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_json_base64_images_are_accepted_and_answered_in_order(alice, api, dynamic_model, test_image, inference_pool):
    encoded = base64.b64encode(test_image.read_bytes()).decode()
    response = api(alice).post(f"/api/inference/{dynamic_model.pk}/predict/",
                               {"images": [encoded, encoded], "conf": CONF, "max_det": 5}, format="json")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["image"] for r in results] == [0, 1]
    assert results[0]["detections"] == results[1]["detections"] and len(results[0]["detections"]) <= 5
    assert results[0]["batch_size"] == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_run_in_one_batch(alice, api, dynamic_model, test_image, inference_pool,
                                                  monkeypatch):
    from inference import apis

    data = test_image.read_bytes()
    barrier, answers = threading.Barrier(2), []
    read = apis.predict_request_read

    def read_once_both_are_in_flight(request):
        # Both requests are inside the view (announced to the pool) before either is queued: truly concurrent.
        # Without this the GIL may run one thread's whole request before the other starts, and a lone request
        # rightly goes at once (the pool waits its window only for announced requests).
        barrier.wait(timeout=30)
        return read(request)

    monkeypatch.setattr(apis, "predict_request_read", read_once_both_are_in_flight)

    def call():
        answers.append(_predict(api(alice), dynamic_model.pk, data))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [200, 200], [a.json() for a in answers]
    assert [a.json()["results"][0]["batch_size"] for a in answers] == [2, 2]


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_a_raw_image_body_gives_the_same_detections_as_multipart(alice, api, onnx_model, test_image, inference_pool):
    client, data = api(alice), test_image.read_bytes()
    raw = client.generic("POST", f"/api/inference/{onnx_model.pk}/predict/?conf={CONF}&max_det=5", data,
                         content_type="image/jpeg")
    assert raw.status_code == 200, raw.json()
    detections = raw.json()["results"][0]["detections"]
    assert 0 < len(detections) <= 5
    assert detections == _predict(client, onnx_model.pk, data, conf=CONF, max_det=5).json()["results"][0]["detections"]


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_a_viewer_may_predict_on_a_shared_model(alice, bob, api, tiny_onnx, test_image, inference_pool):
    from .conftest import onnx_version

    shared = onnx_version(alice, tiny_onnx, name="shared", shared=True)
    assert _predict(api(bob), shared.pk, test_image.read_bytes()).status_code == 200


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_an_invisible_or_unknown_model_is_404(alice, carol, api, onnx_model, test_image, inference_pool):
    assert _predict(api(carol), onnx_model.pk, test_image.read_bytes()).status_code == 404
    assert _predict(api(alice), 999_999, test_image.read_bytes()).status_code == 404


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_a_tensorrt_model_on_workers_without_tensorrt_is_409_telling_how_to_convert(alice, api, tiny_model,
                                                                                   test_image, inference_pool):
    from registry.models import ModelVersion

    engine = ModelVersion.objects.create(name="tiny-trt", version=1, owner=alice, format="tensorrt",
                                         source="conversion", file="models/xx/none.engine", sha256="0" * 64,
                                         parent=tiny_model, class_names=["a"])
    response = _predict(api(alice), engine.pk, test_image.read_bytes())
    assert response.status_code == 409
    assert f"POST /api/models/{tiny_model.pk}/convert/" in response.json()["detail"]
    assert '"target": "onnx"' in response.json()["detail"]


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_a_request_past_its_deadline_is_504(alice, api, onnx_model, test_image, inference_pool):
    response = _predict(api(alice), onnx_model.pk, test_image.read_bytes(), timeout_ms=1)
    assert response.status_code == 504
    assert "deadline" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_a_full_queue_is_503_with_retry_after(alice, api, onnx_model, test_image, inference_pool, settings):
    from inference import channel

    settings.INFERENCE_MAX_QUEUE = 1
    client = channel.channel_redis()
    client.rpush(channel.queue_key(onnx_model.pk), b"queued")  # no ready token: no pool pops it
    try:
        response = _predict(api(alice), onnx_model.pk, test_image.read_bytes())
    finally:
        client.delete(channel.queue_key(onnx_model.pk))
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "INFERENCE_MAX_QUEUE" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)  # the pool process reads the model rows
def test_with_no_pool_process_running_it_is_503(alice, api, onnx_model, test_image, settings):
    from django.conf import settings as live

    settings.REDIS_URL = live.REDIS_URL.rsplit("/", 1)[0] + "/7"  # same server, a database no pool registered in
    response = _predict(api(alice), onnx_model.pk, test_image.read_bytes())
    assert response.status_code == 503
    assert "inference_pool" in response.json()["detail"]
