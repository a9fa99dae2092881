"""Flower runs behind basic auth: 401 without credentials, 200 with them."""
import base64
import os
import subprocess
import sys
import time

import pytest
import requests

from core.embedded_redis import free_port
from tests.environment import ROOT, RUN_DIR


@pytest.fixture(scope="module")
def flower():
    port = free_port()
    env = dict(os.environ, FLOWER_BASIC_AUTH="watcher:s3cret-flower")
    log = open(RUN_DIR / "flower.log", "ab")
    process = subprocess.Popen([sys.executable, "platform/secure_flower.py", "-A", "config", "flower", f"--port={port}",
                                "--address=127.0.0.1", "--basic-auth=watcher:s3cret-flower"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_flower_refuses_requests_without_credentials(flower):
    assert requests.get(flower, timeout=5).status_code == 401


def test_flower_answers_with_the_configured_credentials(flower):
    token = base64.b64encode(b"watcher:s3cret-flower").decode()
    response = requests.get(flower, headers={"Authorization": f"Basic {token}"}, timeout=10)
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["metrics", "healthcheck", "api/workers", "static/css/bootstrap.min.css"])
def test_every_flower_page_needs_credentials(flower, path):
    assert requests.get(flower + path, timeout=5).status_code == 401
    token = base64.b64encode(b"watcher:wrong-password").decode()
    assert requests.get(flower + path, headers={"Authorization": f"Basic {token}"}, timeout=5).status_code == 401


def test_flower_metrics_answer_with_the_credentials(flower):
    token = base64.b64encode(b"watcher:s3cret-flower").decode()
    response = requests.get(flower + "metrics", headers={"Authorization": f"Basic {token}"}, timeout=10)
    assert response.status_code == 200 and "flower_" in response.text


def test_flower_refuses_to_start_without_authentication():
    env = {k: v for k, v in os.environ.items() if k not in ("FLOWER_BASIC_AUTH", "FLOWER_AUTH")}
    result = subprocess.run([sys.executable, "platform/secure_flower.py", "-A", "config", "flower", "--port=1"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "without authentication" in result.stderr
