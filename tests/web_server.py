"""A real gunicorn with platform/gunicorn.conf.py for tests that need the server's own HTTP handling (keep-alive,
body reads, its log); the test database and Redis come through the environment, as for the workers."""
import sys
from dataclasses import dataclass

import pytest
import requests

from core.embedded_redis import free_port
from tests.workers import CommandProcess


@dataclass
class WebServer:
    url: str
    port: int
    process: CommandProcess

    def log(self) -> str:
        return self.process.log_path.read_text(errors="replace")


def gunicorn_start(name: str = "gunicorn", ready_path: str = "/api/health/live/") -> WebServer:
    """Start gunicorn on a free port with make run's settings and wait until `ready_path` answers."""
    port = free_port()
    server = CommandProcess(name, [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c",
                                   "platform/gunicorn.conf.py"],
                            env={"PLATFORM_WEB_PORT": str(port), "WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": ""})

    def answers():
        try:
            return requests.get(f"http://127.0.0.1:{port}{ready_path}", timeout=1).ok
        except requests.RequestException:
            return False

    server.start(ready=answers, timeout=60)
    return WebServer(f"http://127.0.0.1:{port}", port, server)


@pytest.fixture
def gunicorn_server():
    server = gunicorn_start()
    yield server
    server.process.stop()
