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
