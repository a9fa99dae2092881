"""The OpenAPI schema and the offline docs page."""
import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_schema_lists_the_api():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/jobs/{job_id}/cancel/" in paths and "/api/auth/token/" in paths


def test_the_docs_page_serves_its_assets_locally():
    html = APIClient().get("/api/docs/").content.decode()
    assert "swagger-ui" in html and "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_the_sidecar_assets_are_served():
    response = APIClient().get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert response.status_code == 200


def test_the_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi:")


def test_an_unknown_api_path_is_a_json_404():
    response = APIClient().get("/api/no-such-thing/")
    assert response.status_code == 404
    assert "No API endpoint at /api/no-such-thing/" in response.json()["detail"]


def test_a_malformed_json_body_is_a_400_naming_the_problem(alice, api):
    response = api(alice).post("/api/jobs/probe/", data="{not json", content_type="application/json")
    assert response.status_code == 400 and "JSON parse error" in response.json()["detail"]


def test_a_body_over_the_limit_is_a_413(alice, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = '{"queue": "gpu", "pad": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = api(alice).post("/api/jobs/probe/", data=body, content_type="application/json")
    assert response.status_code == 413 and "MAX_REQUEST_BODY_MB" in response.json()["detail"]
