"""The OpenAPI schema tells a generated client the truth: lists are pages, and every operation lists its errors."""
import functools

import pytest

from tests.support.results import report_row
from tests.support.rows import model_row

pytestmark = pytest.mark.django_db


@functools.cache
def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


@pytest.mark.parametrize("path", ["/api/jobs/", "/api/models/", "/api/datasets/", "/api/training-runs/",
                                  "/api/users/"])
def test_a_list_is_documented_as_a_page_with_its_limit_and_offset(path):
    schema = _schema()
    operation = schema["paths"][path]["get"]
    body = _resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert body["type"] == "object" and {"count", "next", "previous", "results"} <= set(body["properties"])
    assert body["properties"]["results"]["type"] == "array"
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 500 and limit["schema"]["minimum"] == 1


def test_every_operation_documents_the_error_answers_with_the_error_body():
    schema = _schema()
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("400", "401", "403", "404", "409", "413", "429", "503"):
                answer = operation["responses"][code]  # the Error body, or the view's own (health's 503)
                assert "application/json" in answer["content"], (method, path, code)
    documented = {path: o["responses"]["404"]["content"]["application/json"]["schema"]
                  for path, ops in schema["paths"].items() for o in ops.values()}
    assert all(s == {"$ref": "#/components/schemas/Error"} for p, s in documented.items() if p.startswith("/api/"))
    assert all(s == {"$ref": "#/components/schemas/V2Error"} for p, s in documented.items() if p.startswith("/v2"))


def test_a_prediction_documents_its_deadline_and_a_download_its_missing_file():
    paths = _schema()["paths"]
    assert "504" in paths["/api/inference/{model_id}/predict/"]["post"]["responses"]
    assert "410" in paths["/api/models/{model_id}/download/"]["get"]["responses"]


def test_an_error_answer_matches_the_documented_error_body(alice, api):
    import jsonschema

    error = _schema()["components"]["schemas"]["Error"]
    for response in (api(alice).get("/api/jobs/?limit=0"), api(alice).get("/api/jobs/999999/"),
                     api(alice).post("/api/jobs/probe/", data="[]", content_type="application/json")):
        assert response.status_code in (400, 404)
        jsonschema.validate(response.json(), error)


def test_request_bodies_that_refuse_unknown_fields_say_so_with_additional_properties_false(alice, api):
    schema = _schema()
    body = schema["paths"]["/api/training-runs/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert _resolve(schema, body).get("additionalProperties") is False
    patch = schema["paths"]["/api/reports/{report_id}/"]["patch"]["requestBody"]["content"]
    assert _resolve(schema, patch["application/json"]["schema"]).get("additionalProperties") is False
    refused = api(alice).post("/api/training-runs/", {"typo_field": 1}, format="json")
    assert refused.status_code == 400 and "typo_field" in refused.json()["errors"]


def test_a_report_patch_is_json_only_so_shared_is_a_boolean_not_a_form_string(alice, api):
    schema = _schema()
    patch = schema["paths"]["/api/reports/{report_id}/"]["patch"]["requestBody"]["content"]
    assert set(patch) == {"application/json"}
    assert _resolve(schema, patch["application/json"]["schema"])["properties"]["shared"]["type"] == "boolean"
    report = report_row(owner=alice, subject_kind="model", subject_id=model_row(owner=alice).pk)
    form = api(alice).patch(f"/api/reports/{report.pk}/", {"shared": "yes"}, format="multipart")
    assert form.status_code == 415


@pytest.mark.parametrize("path, name, values", [
    ("/api/jobs/", "state", {"QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"}),
    ("/api/jobs/", "kind", {"training", "conversion"}),
    ("/api/models/", "format", {"pytorch", "onnx", "tensorrt"}),
])
def test_list_filters_document_their_enum_values(path, name, values):
    parameter = next(p for p in _schema()["paths"][path]["get"]["parameters"] if p["name"] == name)
    assert values <= set(parameter["schema"]["enum"])
