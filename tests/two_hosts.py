"""Hosts for the two-host test (tests/test_two_hosts.py) and the artifact benchmark: platform processes that share
only a Redis, the database and an S3 server, each host with its own var, scratch, artifact and cache folders.

A host's processes run on this machine but see nothing of each other's disk: what one host stores, another can only
get through the store. The Redis is the test's own (core/embedded_redis.py), so the session's workers and pools,
on the session's Redis, never take these hosts' jobs.
"""
import os
import sys
import time
from pathlib import Path

import requests

from core.embedded_redis import free_port, start as redis_start
from tests.workers import CommandProcess


class Platform:
    """What the hosts share: a Redis of their own and the artifact storage settings (S3, or filesystem)."""

    def __init__(self, root: Path, storage_env: dict[str, str]):
        self.root = Path(root)
        self.redis_port = free_port()
        self.redis = redis_start(port=self.redis_port, data_dir=self.root / "redis", persist=False)
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.storage_env = storage_env
        self.hosts: list[Host] = []

    def host(self, name: str) -> "Host":
        host = Host(self, name)
        self.hosts.append(host)
        return host

    def celery(self):
        from celery import Celery

        # Not made the current app: the platform sends its jobs through celery.current_app (the session's app).
        app = Celery("two-hosts", broker=self.redis_url, backend=self.redis_url, set_as_current=False)
        app.conf.update(task_serializer="json", accept_content=["json"], broker_connection_retry_on_startup=True)
        return app

    def stop(self) -> None:
        for host in self.hosts:
            host.stop()
        self.redis.terminate()
        self.redis.wait(timeout=10)


class Host:
    def __init__(self, platform: Platform, name: str):
        self.platform, self.name = platform, name
        self.root = platform.root / name
        self.cache = self.root / "cache"
        self.env = {"PLATFORM_VAR_DIR": str(self.root / "var"), "SCRATCH_ROOT": str(self.root / "scratch"),
                    "ARTIFACT_ROOT": str(self.root / "artifacts"), "ARTIFACT_CACHE_DIR": str(self.cache),
                    "REDIS_URL": platform.redis_url, "TRAINING_PRELOAD": "false", "HOST_NAME": name,
                    **platform.storage_env}
        for key in ("PLATFORM_VAR_DIR", "SCRATCH_ROOT"):
            Path(self.env[key]).mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, CommandProcess] = {}
        self.web_url = ""

    def _start(self, role: str, command: list[str], ready, timeout=120.0) -> CommandProcess:
        process = CommandProcess(f"{self.name}-{role}", command, env=self.env)
        self.processes[role] = process
        return process.start(ready=ready, timeout=timeout)

    def web(self) -> str:
        port = free_port()
        self.web_url = f"http://127.0.0.1:{port}"
        self.env_for_web = {"PLATFORM_WEB_PORT": str(port), "WEB_CONCURRENCY": "1", "WEB_THREADS": "16"}
        self.env.update(self.env_for_web)

        def answers():
            try:
                return requests.get(f"{self.web_url}/api/health/", timeout=2).status_code < 600
            except requests.RequestException:
                return False

        self._start("web", [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c",
                            "platform/gunicorn.conf.py"], answers)
        return self.web_url

    def worker(self, role: str, args: list[str]) -> CommandProcess:
        hostname = f"{self.name}-{role}@{self.name}"
        app = self.platform.celery()
        return self._start(role, [sys.executable, "-m", "celery", "-A", "config", *args, "-n", hostname,
                                  "--loglevel", "INFO"],
                           lambda: bool(app.control.ping(destination=[hostname], timeout=0.5)))

    def gpu_worker(self) -> CommandProcess:
        return self.worker("gpu", ["worker", "-Q", "gpu", "-c", "2", "--prefetch-multiplier", "1", "-O", "fair",
                                   "--max-tasks-per-child", "1"])

    def default_worker_and_beat(self) -> CommandProcess:
        return self.worker("default", ["worker", "-Q", "default", "-c", "1", "-B", "-s",
                                       str(self.root / "beat-schedule")])

    def inference_pool(self) -> CommandProcess:
        import redis

        from inference import channel

        pool_id = f"{self.name}-pool"
        client = redis.Redis.from_url(self.platform.redis_url)
        self.env["INFERENCE_HEARTBEAT_SECONDS"] = "0.5"
        return self._start("pool", [sys.executable, "manage.py", "inference_pool", "--id", pool_id],
                           lambda: bool(client.exists(channel.pool_key(pool_id))))

    def kill(self, role: str) -> None:
        """SIGKILL the process and all its children: the host is gone, nobody reports anything."""
        process = self.processes[role]
        if process.alive:
            os.killpg(process.process.pid, 9)
            process.process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def cached_files(self) -> list[Path]:
        return [p for p in (self.cache / "files").rglob("*") if p.is_file() and not p.name.endswith(".ok")] \
            if self.cache.exists() else []


def wait_until(check, *, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
