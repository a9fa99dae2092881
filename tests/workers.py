"""Real Celery worker processes for the test suite, started against the test database and Redis."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from .environment import ROOT, RUN_DIR, WORKER_DATABASE_URL


def worker_env(**extra: str) -> dict:
    """The environment of a process started by the suite: the test database and Redis, plus `extra`."""
    env = dict(os.environ, DATABASE_URL=WORKER_DATABASE_URL, PYTHONUNBUFFERED="1", **extra)
    env.pop("PLATFORM_TEST_DB_NAME", None)
    return env


class CommandProcess:
    """A non-Celery process for the suite (e.g. `manage.py inference_pool`), in its own session, logging to a file.

    `ready()` is polled until it returns true; stop() sends SIGTERM to the process group, then SIGKILL.
    """

    def __init__(self, name: str, command: list[str], env: dict | None = None):
        self.name, self.command, self.extra_env = name, command, env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = RUN_DIR / f"{name}-{uuid.uuid4().hex[:6]}.log"

    def start(self, ready=None, timeout: float = 60.0) -> "CommandProcess":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=worker_env(**self.extra_env), stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while ready is not None and not ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} not ready after {timeout} s: {self.log_tail()}")
            time.sleep(0.1)
        return self

    alive = property(lambda self: self.process is not None and self.process.poll() is None)

    def stop(self) -> None:
        if self.alive:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class WorkerProcess(CommandProcess):
    """A real `celery worker` (with the test-only tasks of tests/tasks.py), ready once it answers a ping."""

    def __init__(self, name: str, args: list[str], env: dict | None = None):
        self.hostname = f"{name}-{uuid.uuid4().hex[:6]}@test"
        super().__init__(self.hostname.split("@")[0], [sys.executable, "-m", "celery", "-A", "config", *args,
                                                       "-n", self.hostname,
                                                       "--loglevel", os.environ.get("TEST_WORKER_LOGLEVEL", "INFO"),
                                                       "--include", "tests.tasks"], env=env)

    def start(self, ready=None, timeout: float = 90.0) -> "WorkerProcess":
        from config.celery import app

        def answers_ping():
            return bool(app.control.ping(destination=[self.hostname], timeout=0.5))

        super().start(ready=ready or answers_ping, timeout=timeout)
        return self

    def kill(self) -> None:
        """SIGKILL the worker and all its children, as an out-of-memory kill or a pulled plug would."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def gpu_worker_args() -> list[str]:
    return ["worker", "-Q", "gpu", "-c", "2", "--prefetch-multiplier", "1", "-O", "fair", "--max-tasks-per-child", "1"]


def default_worker_args() -> list[str]:
    # -B: an embedded beat runs the reaper (every REAPER_INTERVAL_SECONDS) in the test session.
    return ["worker", "-Q", "default", "-c", "1", "-B", "-s", str(RUN_DIR / "beat-schedule")]
