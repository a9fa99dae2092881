"""The SQL database: DATABASE_URL (SQLite in var/ by default), tuned so the web and worker processes can share
one SQLite file."""
import dj_database_url

from core.env import env_int, env_str

from .base import VAR_DIR

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'platform.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, workers) share the file: WAL and a busy timeout keep them from failing on locks.
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
_test_db_name = env_str("PLATFORM_TEST_DB_NAME")
if _test_db_name:
    _db["TEST"] = {"NAME": _test_db_name}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
