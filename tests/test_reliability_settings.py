"""Safe by default: DEBUG off, loopback only, no debug page under /api/, `check --deploy` clean under the
documented production settings, a content security policy on HTML pages, misspelt settings reported by `manage.py check`;
and the operator-facing answers: a probe only on a queue with a consumer, health naming jobs nobody will run."""
import json
import os
import runpy
import subprocess
import sys

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from tests.environment import ROOT

pytestmark = pytest.mark.django_db

PRODUCTION = {  # docs/reliability.md, "Production settings"
    "DEBUG": "false", "ALLOWED_HOSTS": "platform.example.com", "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true",
    "SESSION_COOKIE_SECURE": "true", "CSRF_COOKIE_SECURE": "true", "SECURE_PROXY_SSL_HEADER": "true",
}


def _run(code_or_args, tmp_path, **extra):
    environ = {k: v for k, v in os.environ.items() if k not in ("DEBUG",)}
    environ.update(PLATFORM_VAR_DIR=str(tmp_path), **extra)
    args = code_or_args if isinstance(code_or_args, list) else [
        "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); "
              + code_or_args]
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def test_debug_is_off_unless_the_environment_turns_it_on(tmp_path):
    result = _run("from django.conf import settings; print(settings.DEBUG)", tmp_path)
    assert result.stdout.strip() == "False", result.stderr


def test_check_deploy_is_clean_under_the_documented_production_settings(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path,
                  SECRET_KEY="x7Gq-" + "kP2v9LmZ" * 7, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_misspelt_setting_is_a_system_check_warning_with_the_closest_name(tmp_path):
    misspelt = "JOB_STALE_AFTER_" + "SECOND"
    result = _run(["manage.py", "check"], tmp_path, **{misspelt: "5", "INFERENCE_MAX_QUEUE": "9"})
    assert result.returncode == 0, result.stderr
    assert f"(platform.W001) {misspelt} is set in the environment" in result.stderr
    assert "(did you mean JOB_STALE_AFTER_SECONDS?)" in result.stderr
    assert "INFERENCE_MAX_QUEUE" not in result.stderr  # a real setting is not reported


def test_make_run_listens_on_loopback_unless_told_otherwise(monkeypatch, tmp_path):
    # Set, so the config file does not export its own metrics directory into this process for the later tests.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.delenv("WEB_BIND", raising=False)
    assert runpy.run_path(str(ROOT / "platform" / "gunicorn.conf.py"))["bind"].startswith("127.0.0.1:")
    monkeypatch.setenv("WEB_BIND", "0.0.0.0")
    assert runpy.run_path(str(ROOT / "platform" / "gunicorn.conf.py"))["bind"].startswith("0.0.0.0:")


def test_an_unexpected_error_in_an_api_view_is_a_json_500_with_an_error_id_even_with_debug_on(alice, api, settings,
                                                                                              monkeypatch):
    from jobs import selectors

    settings.DEBUG = True
    monkeypatch.setattr(selectors, "job_list", lambda **kwargs: 1 / 0)
    response = api(alice).get("/api/jobs/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error_id"] in body["detail"] and "ZeroDivision" not in response.content.decode()


def test_an_error_outside_drf_under_api_is_json_too():
    from core.security import ApiErrorMiddleware

    middleware = ApiErrorMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().get("/api/jobs/1/events/"), RuntimeError("secret"))
    assert response.status_code == 500 and b"secret" not in response.content and b"error_id" in response.content
    assert middleware.process_exception(RequestFactory().get("/admin/"), RuntimeError("x")) is None


def test_a_plain_views_http404_under_api_is_a_json_404_not_a_500():
    from django.http import Http404

    from core.security import ApiErrorMiddleware

    middleware = ApiErrorMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().get("/api/jobs/1/events/"), Http404("No such job."))
    assert response.status_code == 404 and json.loads(response.content) == {"detail": "No such job."}


def test_html_pages_carry_a_content_security_policy_and_json_does_not_need_one(alice, api):
    page = APIClient().get("/api/docs/")
    assert "default-src 'self'" in page["Content-Security-Policy"]
    assert "Content-Security-Policy" not in APIClient().get("/api/health/live/")


def test_a_probe_for_a_queue_no_worker_consumes_is_refused(alice, api):
    from jobs.models import Job

    response = api(alice).post("/api/jobs/probe/", {"queue": "inference"}, format="json")
    assert response.status_code == 400 and "queue" in response.json()["errors"]
    assert "gpu, default" in response.json()["detail"] and not Job.objects.exists()


def test_health_names_queues_whose_jobs_wait_on_no_consumer(alice, monkeypatch):
    from config import health
    from jobs.models import Job

    monkeypatch.setattr(health, "workers_per_queue_cached", lambda: {"gpu": 0, "inference": 1, "default": 1})
    Job.objects.create(kind="diagnostic", owner=alice, queue="gpu", celery_task_id="t-1")
    Job.objects.create(kind="diagnostic", owner=alice, queue="default", celery_task_id="t-2")
    body = APIClient().get("/api/health/").json()
    assert body["status"] == "degraded" and body["waiting_on_no_consumer"] == {"gpu": 1}
