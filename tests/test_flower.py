"""Flower runs behind basic auth: 401 without credentials, 200 with them."""
import base64
import os
import subprocess
import sys
import time

import pytest
import requests

from config.embedded_redis import free_port
from tests.environment import ROOT, RUN_DIR


@pytest.fixture(scope="module")
def flower():
    port = free_port()
    env = dict(os.environ, FLOWER_BASIC_AUTH="watcher:s3cret-flower")
    log = open(RUN_DIR / "flower.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "flower", f"--port={port}",
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
