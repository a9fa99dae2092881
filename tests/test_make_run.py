"""`make run`'s launcher brings up every process on embedded defaults and stops them all on SIGTERM."""
import base64
import io
import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest
import requests
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from core.embedded_redis import free_port, port_answers
from tests.environment import ROOT
from tests.waiting import wait_for

pytestmark = pytest.mark.workers


def test_the_launcher_runs_the_whole_platform_on_embedded_defaults(tmp_path):
    web, flower, redis_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "PLATFORM_TEST_DB_NAME")}
    env.update(PLATFORM_VAR_DIR=str(tmp_path / "var"), ARTIFACT_ROOT=str(tmp_path / "artifacts"), PORT=str(web),
               FLOWER_PORT=str(flower), EMBEDDED_REDIS_PORT=str(redis_port), PLATFORM_DEMO_JOBS="0",
               PLATFORM_DEMO_PASSWORD="launcher-test-password", WEB_CONCURRENCY="2")
    log = open(tmp_path / "launch.log", "wb")
    launcher = subprocess.Popen([sys.executable, "platform/launch.py"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def healthy():
            assert launcher.poll() is None, (tmp_path / "launch.log").read_text()[-3000:]
            try:
                body = requests.get(f"http://127.0.0.1:{web}/api/health/", timeout=5).json()
            except (requests.RequestException, ValueError):
                return None
            workers = body["checks"].get("workers")
            return body if isinstance(workers, dict) and all(workers.values()) else None

        body = wait_for(healthy, timeout=240, interval=1, message="every worker in /api/health/")
        assert body["status"] == "ok" and body["checks"]["workers"] == {"gpu": 1, "inference": 1, "default": 1}
        assert port_answers("127.0.0.1", redis_port), "the embedded Redis should serve the session"
        assert requests.get(f"http://127.0.0.1:{flower}/", timeout=10).status_code == 401
        token = base64.b64encode(b"admin:launcher-test-password").decode()
        assert requests.get(f"http://127.0.0.1:{flower}/", headers={"Authorization": f"Basic {token}"},
                            timeout=10).status_code == 200
        login = requests.post(f"http://127.0.0.1:{web}/api/auth/token/", timeout=10,
                              json={"username": "viewer", "password": "launcher-test-password"})
        assert login.status_code == 200
        datasets = requests.get(f"http://127.0.0.1:{web}/api/datasets/", timeout=10,
                                headers={"Authorization": f"Bearer {login.json()['access']}"}).json()
        assert [d["name"] for d in datasets["results"]] == ["shapes-demo"]
        # Two gunicorn workers, one connection per request: /metrics still counts every request once.
        headers = {"Authorization": f"Bearer {login.json()['access']}", "Connection": "close"}
        for _ in range(10):
            missing = requests.post(f"http://127.0.0.1:{web}/api/inference/999999/predict/", timeout=10,
                                    headers=headers)
            assert missing.status_code == 404
        metrics = requests.get(f"http://127.0.0.1:{web}/metrics", timeout=10).text
        counted = [s.value for family in text_string_to_metric_families(metrics) for s in family.samples
                   if s.name == "inference_requests_total" and s.labels.get("model") == "999999"]
        assert counted == [10.0], metrics[:3000]
        assert requests.get(f"http://127.0.0.1:{flower}/metrics", timeout=10).status_code == 401

        # A crashed process is restarted with a log line; the others keep running.
        def pools():
            found = set()
            for child in psutil.Process(launcher.pid).children(recursive=True):
                try:
                    if "inference_pool" in " ".join(child.cmdline()):
                        found.add(child.pid)
                except psutil.Error:  # a zombie or a process that just exited
                    pass
            return found

        killed = pools()
        assert killed
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        # A prediction meanwhile answers within its deadline (503/504 while no pool serves; 200 if one is back).
        engineer = requests.post(f"http://127.0.0.1:{web}/api/auth/token/", timeout=10,
                                 json={"username": "engineer", "password": "launcher-test-password"}).json()["access"]
        as_engineer = {"Authorization": f"Bearer {engineer}"}
        model = requests.get(f"http://127.0.0.1:{web}/api/models/", headers=as_engineer, timeout=10).json()
        png = io.BytesIO()
        Image.new("RGB", (64, 64), (200, 30, 30)).save(png, format="PNG")
        started = time.monotonic()
        answer = requests.post(f"http://127.0.0.1:{web}/api/inference/{model['results'][0]['id']}/predict/",
                               headers=as_engineer, files={"image": ("a.png", png.getvalue(), "image/png")},
                               data={"timeout_ms": "2000"}, timeout=30)
        assert answer.status_code in (200, 503, 504) and time.monotonic() - started < 5, answer.text
        wait_for(lambda: pools() - killed, timeout=30, interval=0.5, message="the inference pool to be restarted")
        wait_for(lambda: (healthy() or {}).get("checks", {}).get("workers", {}).get("inference"), timeout=60,
                 interval=1, message="the restarted pool in /api/health/")
        assert launcher.poll() is None
        assert "inference exited with signal SIGKILL" in (tmp_path / "launch.log").read_text()
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            raise
        log.close()
    time.sleep(1)
    assert not port_answers("127.0.0.1", redis_port), "the embedded Redis stops with the platform"
    for port in (web, flower):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
