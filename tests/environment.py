"""Loaded first (pytest -p tests.environment): points the test session at its own Redis and test database.

With REDIS_URL set (CI: the machine's Redis) the suite uses it; otherwise it starts an embedded redis-server
on a free port, so concurrent runs never share queues. Worker processes started by the suite get the same
environment, with DATABASE_URL pointing at the test database that pytest-django creates.
"""
import atexit
import os
import tempfile
from pathlib import Path

from core import embedded_redis

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = Path(tempfile.mkdtemp(prefix="vp-test-"))

# Short job timings so reaper and heartbeat tests finish in seconds; workers inherit them.
os.environ.setdefault("JOB_HEARTBEAT_SECONDS", "0.5")
os.environ.setdefault("JOB_STALE_AFTER_SECONDS", "4")
os.environ.setdefault("REAPER_INTERVAL_SECONDS", "1")
os.environ.setdefault("HOST_HEARTBEAT_SECONDS", "0.5")  # a killed worker's host is "gone" 3 s later
os.environ.setdefault("HOST_TTL_SECONDS", "3")
os.environ.setdefault("HEALTH_WORKERS_CACHE_SECONDS", "0")  # health tests see workers come and go at once
os.environ.setdefault("LOGIN_THROTTLE_RATE", "1000/min")
os.environ["PLATFORM_VAR_DIR"] = str(RUN_DIR / "var")
os.environ["ARTIFACT_ROOT"] = str(RUN_DIR / "artifacts")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("YOLO_OFFLINE", "1")

if not os.environ.get("REDIS_URL"):
    _port = embedded_redis.free_port()
    _redis = embedded_redis.start(port=_port, data_dir=RUN_DIR / "redis", persist=False)
    atexit.register(_redis.terminate)
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{_port}/0"

_database_url = os.environ.get("DATABASE_URL", "")
if _database_url.startswith(("postgres://", "postgresql://")):
    os.environ["PLATFORM_TEST_DB_NAME"] = f"test_vp_{os.getpid()}"
    _base, _, _ = _database_url.rpartition("/")
    WORKER_DATABASE_URL = f"{_base}/{os.environ['PLATFORM_TEST_DB_NAME']}"
else:
    os.environ.pop("DATABASE_URL", None)
    _test_db = RUN_DIR / "test.sqlite3"
    os.environ["PLATFORM_TEST_DB_NAME"] = str(_test_db)
    WORKER_DATABASE_URL = f"sqlite:///{_test_db}"
