"""With Redis stopped or stuck, the web process answers quickly: login and refresh still work, cancel returns at
once, anything that needs Redis is a JSON 503 within 2 s; never an HTML 500, never a hang."""
import os
import signal
import time

import pytest
import redis
from rest_framework.test import APIClient

from core.embedded_redis import free_port, start
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_stopped(settings):
    """The web side pointed at a Redis that is not running (connections are refused)."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    _point_at(settings, url)
    yield url


@pytest.fixture
def redis_stuck(settings, tmp_path):
    """A Redis that accepts connections but never answers (SIGSTOPped): only the read timeouts save a thread."""
    port = free_port()
    process = start(port=port, data_dir=tmp_path / "redis", persist=False)
    os.kill(process.pid, signal.SIGSTOP)
    _point_at(settings, f"redis://127.0.0.1:{port}/0")
    yield
    os.kill(process.pid, signal.SIGCONT)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def fast_hashing(settings):
    """The timings below are about Redis, not about PBKDF2 on a busy 2-core machine (listed before the personas,
    so their passwords are hashed with it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    APIClient().get("/api/health/live/")  # the first request of a process loads the URL map and the API stack


def _point_at(settings, url):
    settings.REDIS_URL = url
    settings.CACHES = {"default": dict(settings.CACHES["default"], LOCATION=url)}


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_login_and_refresh_work_while_redis_is_stopped(fast_hashing, alice, redis_stopped):
    login, seconds = _timed(lambda: APIClient().post("/api/auth/token/", {"username": "alice", "password": PASSWORD},
                                                     format="json"))
    assert login.status_code == 200 and seconds < 2, (login.status_code, seconds)
    refresh, seconds = _timed(lambda: APIClient().post("/api/auth/token/refresh/",
                                                       {"refresh": login.json()["refresh"]}, format="json"))
    assert refresh.status_code == 200 and seconds < 2 and refresh.json()["access"]


def test_login_answers_within_two_seconds_while_redis_is_stuck(fast_hashing, alice, redis_stuck):
    login, seconds = _timed(lambda: APIClient().post("/api/auth/token/", {"username": "alice", "password": PASSWORD},
                                                     format="json"))
    assert login.status_code == 200 and seconds < 2, (login.status_code, seconds)


def test_the_login_throttle_still_counts_while_redis_is_stopped(fast_hashing, alice, redis_stopped, settings):
    from accounts import throttles

    throttles._fallback.clear()  # counts of earlier tests
    settings.LOGIN_THROTTLE_RATE = "3/min"
    answers = [APIClient().post("/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
               .status_code for _ in range(5)]
    assert answers[:3] == [401, 401, 401] and answers[3:] == [429, 429]


def test_cancelling_a_queued_job_returns_at_once_while_redis_is_stopped(alice, api, redis_stopped):
    from jobs.models import Job

    job = Job.objects.create(kind="diagnostic", owner=alice, queue="gpu", celery_task_id="lost-task")
    response, seconds = _timed(lambda: api(alice).post(f"/api/jobs/{job.id}/cancel/"))
    assert response.status_code == 202 and response.json()["state"] == "CANCELLED" and seconds < 2, seconds


def test_a_redis_error_inside_a_view_is_a_json_503(alice, api, monkeypatch):
    from jobs import selectors

    def broken(**kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(selectors, "job_list", broken)
    response = api(alice).get("/api/jobs/")
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert "unavailable" in response.json()["detail"]


def test_the_health_check_answers_503_quickly_while_redis_is_stuck(redis_stuck):
    response, seconds = _timed(lambda: APIClient().get("/api/health/"))
    assert response.status_code == 503 and response.json()["down"] == ["redis"] and seconds < 2, seconds


def test_the_login_throttle_backs_off_through_the_platforms_one_redis_back_off(fast_hashing, alice, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    from core import redis as platform_redis

    calls = []

    class Broken:
        def get(self, *args, **kwargs):
            calls.append(1)
            raise redis.exceptions.ConnectionError("refused")

        set = get

    monkeypatch.setattr(SimpleRateThrottle, "cache", Broken())
    monkeypatch.setattr(platform_redis, "_down_until", {})
    for _ in range(3):
        login = APIClient().post("/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
        assert login.status_code == 200

    assert platform_redis.redis_recently_down() and len(calls) == 1  # skipped Redis after the first failure
