"""Health and liveness: workers per queue, and 503 naming what is down."""
import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_auth():
    assert APIClient().get("/api/health/live/").json() == {"status": "ok"}


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_health_counts_workers_per_queue(gpu_worker, default_worker):
    response = APIClient().get("/api/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert body["checks"]["workers"]["gpu"] >= 1 and body["checks"]["workers"]["default"] >= 1


def test_health_is_503_naming_redis_when_redis_is_unreachable(settings):
    from core.embedded_redis import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = APIClient().get("/api/health/")
    assert response.status_code == 503
    assert response.json()["down"] == ["redis"]
    assert response.json()["checks"]["redis"].startswith("down")


@pytest.mark.django_db(transaction=True)
def test_starting_a_job_with_redis_down_is_503_and_the_job_is_failed(alice, api, settings):
    from core.embedded_redis import free_port
    from jobs.models import Job

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = api(alice).post("/api/jobs/probe/", {"queue": "gpu"}, format="json")
    assert response.status_code == 503
    assert Job.objects.get().state == "FAILED"


def test_health_keeps_the_worker_counts_for_a_few_seconds(settings, monkeypatch):
    from config import health

    broadcasts = []
    monkeypatch.setattr(health, "workers_per_queue", lambda: broadcasts.append(1) or {"gpu": 2, "inference": 1,
                                                                                     "default": 1})
    monkeypatch.setattr(health, "_cache", {})
    settings.HEALTH_WORKERS_CACHE_SECONDS = 60
    answers = [APIClient().get("/api/health/").json()["checks"]["workers"] for _ in range(3)]
    assert answers == [{"gpu": 2, "inference": 1, "default": 1}] * 3 and len(broadcasts) == 1
    settings.HEALTH_WORKERS_CACHE_SECONDS = 0
    APIClient().get("/api/health/")
    assert len(broadcasts) == 2
