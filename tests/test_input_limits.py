"""Hostile input is a JSON 4xx naming the problem, on every endpoint: deep JSON, non-object bodies, huge page
parameters, writes to unknown paths, blank names, disguised files, oversized predict bodies.

The endpoint lists come from the OpenAPI schema, so a new app's endpoints are held to the same bar on day one.
"""
import functools
import json
import re

import pytest
from rest_framework.test import APIClient

from tests.support.rows import dataset_row, job_row, model_row, training_run_row

pytestmark = pytest.mark.django_db


@functools.cache
def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(predicate):
    for path, operations in _schema()["paths"].items():
        for method, operation in operations.items():
            if predicate(path, method, operation):
                yield path, method.upper()


def _json_body_operations():
    def takes_json(path, method, operation):
        return "application/json" in operation.get("requestBody", {}).get("content", {})

    return sorted(_operations(takes_json))


def _list_operations():
    def paginated(path, method, operation):
        return method == "get" and any(p["name"] == "limit" for p in operation.get("parameters", []))

    return sorted(path for path, _ in _operations(paginated))


@pytest.fixture
def ids(root, alice):
    """One object of each kind owned by the admin, so `{x_id}` paths resolve and the body is really parsed."""
    model = model_row(owner=root)
    dataset = dataset_row(owner=root)
    return {"model_id": model.pk, "dataset_id": dataset.pk, "job_id": job_row(owner=root).pk,
            "run_id": training_run_row(owner=root, dataset=dataset).pk, "user_id": alice.pk}


def _fill(path: str, ids: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 999999)), path)


def _send(client, method: str, path: str, body: str):
    return getattr(client, method.lower())(path, data=body, content_type="application/json")


def test_the_schema_lists_the_json_endpoints_this_test_covers():
    operations = _json_body_operations()
    assert ("/api/jobs/probe/", "POST") in operations and ("/api/models/", "POST") in operations
    assert ("/api/inference/{model_id}/predict/", "POST") in operations and len(operations) >= 8


def test_ten_thousand_levels_of_nesting_are_a_400_on_every_json_endpoint(root, api, ids):
    client = api(root)
    for method, body in (("deep array", "[" * 10_000 + "]" * 10_000),
                         ("deep object", '{"a":' * 10_000 + "1" + "}" * 10_000)):
        for path, verb in _json_body_operations():
            response = _send(client, verb, _fill(path, ids), body)
            assert response.status_code in (400, 404), (method, verb, path, response.status_code)
            if response.status_code == 400:
                assert "nested deeper than" in response.json()["detail"], (verb, path, response.json())


def test_a_body_just_over_the_depth_limit_is_refused_and_one_at_it_is_parsed(alice, api, settings):
    settings.MAX_JSON_DEPTH = 4
    client = api(alice)
    over = _send(client, "POST", "/api/jobs/probe/", '{"queue": "gpu", "x": [[[[1]]]]}')
    assert over.status_code == 400 and "nested deeper than 4 levels (MAX_JSON_DEPTH)" in over.json()["detail"]
    at = _send(client, "POST", "/api/jobs/probe/", '{"queue": "nope", "x": [[[1]]]}')
    assert at.status_code == 400 and "queue" in at.json()["detail"]


@pytest.mark.parametrize("body, named", [("1", "a number"), ("true", "a boolean"), ("null", "null"),
                                         ("[]", "an array"), ('"text"', "a string"), ("2.5", "a number")])
def test_a_body_that_is_not_an_object_is_a_400_on_every_json_endpoint(root, api, ids, body, named):
    client = api(root)
    for path, verb in _json_body_operations():
        response = _send(client, verb, _fill(path, ids), body)
        assert response.status_code in (400, 404), (verb, path, body, response.status_code)
        if response.status_code == 400:
            assert f"must be an object" in response.json()["detail"] and named in response.json()["detail"]


def test_nan_is_not_json(alice, api):
    response = _send(api(alice), "POST", "/api/jobs/probe/", '{"queue": NaN}')
    assert response.status_code == 400 and "NaN is not valid JSON" in response.json()["detail"]


@pytest.mark.parametrize("path, body", [
    ("/api/searches/", '{"dataset": 1, "space": {"lr0": [0.001, 1%s]}}' % ("0" * 400)),
    ("/api/training-runs/", '{"dataset": 1, "preset": "yolov8n", "hyperparameters": {"lr0": 1%s}}' % ("0" * 400)),
])
def test_an_integer_no_float_can_hold_is_a_400_not_an_overflow(alice, api, path, body):
    response = _send(api(alice), "POST", path, body)
    assert response.status_code == 400 and "more than 300 digits" in response.json()["detail"]


@pytest.mark.parametrize("query, message", [
    ("limit=99999999999999999999999", "between 1 and 500"), ("limit=501", "between 1 and 500"),
    ("limit=0", "between 1 and 500"), ("limit=-3", "between 1 and 500"), ("limit=abc", "must be an integer"),
    ("offset=99999999999999999999999", "between 0 and"), ("offset=-1", "between 0 and"),
    ("offset=1e3", "must be an integer"),
])
def test_page_parameters_out_of_range_are_a_400_on_every_list(root, api, query, message):
    client = api(root)
    lists = _list_operations()
    assert {"/api/jobs/", "/api/models/", "/api/datasets/", "/api/training-runs/", "/api/users/"} <= set(lists)
    for path in lists:
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.status_code)
        assert message in response.json()["detail"], (path, response.json())


def test_a_page_within_the_bounds_answers_the_paginated_shape(alice, api):
    for _ in range(3):
        job_row(owner=alice)
    body = api(alice).get("/api/jobs/?limit=2&offset=1").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["previous"] is not None


def test_the_maximum_page_size_is_a_setting(alice, api, settings):
    settings.MAX_PAGE_SIZE = 2
    assert api(alice).get("/api/jobs/?limit=3").status_code == 400
    assert api(alice).get("/api/jobs/?limit=2").status_code == 200


@pytest.mark.parametrize("method, path", [("post", "/api/nonexistent/"), ("delete", "/api/datasets/abc/"),
                                          ("put", "/api/models/x/y/"), ("patch", "/api/nothing")])
def test_a_write_to_an_unknown_api_path_is_a_json_404_not_a_csrf_403(method, path):
    client = APIClient(enforce_csrf_checks=True)
    response = getattr(client, method)(path, data="{}", content_type="application/json")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert f"No API endpoint at {path}" in response.json()["detail"]


def test_a_session_write_without_the_csrf_token_is_a_json_403(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/jobs/probe/", data={"queue": "gpu"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_the_csrf_failure_view_answers_json_under_the_api():
    from django.test import RequestFactory

    from core.http_errors import csrf_failure

    response = csrf_failure(RequestFactory().post("/api/anything/"), reason="CSRF cookie not set.")
    assert response.status_code == 403 and "CSRF cookie not set." in json.loads(response.content)["detail"]


@pytest.mark.parametrize("name", [" ", "   ", "\t", " lead"])
def test_a_training_run_named_blank_is_refused(alice, api, name):
    dataset = dataset_row(owner=alice)
    response = api(alice).post("/api/training-runs/", {"dataset": dataset.pk, "preset": "yolov8n", "name": name},
                               format="json")
    assert response.status_code == 400 and "name" in response.json()["errors"]


@pytest.mark.parametrize("name", [" ", "  ", ""])
def test_a_model_named_blank_is_refused(alice, api, name):
    response = api(alice).post("/api/models/", {"name": name, "preset": "yolov8n"}, format="json")
    assert response.status_code == 400 and "name" in response.json()["errors"]


def test_a_zip_disguised_as_a_png_is_named_a_zip(tmp_path):
    import zipfile

    from registry.datasets.validation.yolo import _inspect_image

    fake = tmp_path / "cat.png"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("inner.txt", "hello")
    size, why = _inspect_image(fake, 10_000_000)
    assert size is None and why == "not an image: the file is a ZIP archive"


def test_a_zip_sent_to_predict_as_an_image_is_named_a_zip():
    import io
    import zipfile

    from inference.images import BadImage, image_check

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.txt", "hello")
    with pytest.raises(BadImage, match="image\\[0\\] is not an image: the file is a ZIP archive"):
        image_check(buffer.getvalue(), label="image[0]")


def test_a_predict_body_over_the_limit_is_a_413(alice, api, settings):
    settings.INFERENCE_MAX_BODY_MB = 1
    model = model_row(owner=alice, format="onnx")
    body = '{"images": ["' + "A" * (1536 * 1024) + '"]}'
    response = api(alice).post(f"/api/inference/{model.pk}/predict/", data=body, content_type="application/json")
    assert response.status_code == 413 and "INFERENCE_MAX_BODY_MB" in response.json()["detail"]


def test_a_path_with_an_encoded_newline_is_still_a_json_404(alice, api):
    response = api(alice).get("/api/training-runs/%0A1/curves.png")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_a_protected_error_outside_config_deletion_is_a_409_listing_the_dependents(alice):
    from django.db.models import ProtectedError

    from core.http_errors import api_exception_handler

    response = api_exception_handler(ProtectedError("x", {alice}), {})
    assert response.status_code == 409 and response.data["detail"].startswith("This object is used by user")
    assert response.data["dependents"][0]["id"] == alice.id
