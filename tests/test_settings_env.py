"""Settings read the environment with typed parsing that fails loudly, and accept *_FILE secrets."""
import pytest

from core import env


def test_a_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(env.ImproperlyConfiguredEnv, match="DEBUG='maybe' is not a boolean"):
        env.env_bool("DEBUG", True)


def test_a_bad_integer_names_the_variable(monkeypatch):
    monkeypatch.setenv("JWT_ACCESS_MINUTES", "ten")
    with pytest.raises(env.ImproperlyConfiguredEnv, match="JWT_ACCESS_MINUTES='ten' is not an integer"):
        env.env_int("JWT_ACCESS_MINUTES", 15)


def test_a_value_below_its_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("MAX_MODEL_UPLOAD_MB", "0")
    with pytest.raises(env.ImproperlyConfiguredEnv, match="must be at least 1"):
        env.env_int("MAX_MODEL_UPLOAD_MB", 1024, minimum=1)


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env.env_str("SECRET_KEY") == "from-a-file"


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example, b.example,,")
    assert env.env_list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def _django_setup(tmp_path, **extra):
    import os
    import subprocess
    import sys

    from tests.environment import ROOT

    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    environ.update(DEBUG="false", PLATFORM_VAR_DIR=str(tmp_path), **extra)
    return subprocess.run([sys.executable, "-c", "import django, os; os.environ.setdefault("
                           "'DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup()"],
                          cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)


def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path):
    result = _django_setup(tmp_path)
    assert result.returncode != 0 and "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_debug_off_with_a_short_secret_key_refuses_to_start(tmp_path):
    result = _django_setup(tmp_path, SECRET_KEY="too-short-a-key")
    assert result.returncode != 0 and "SECRET_KEY is 15 characters; at least 32" in result.stderr
    assert _django_setup(tmp_path, SECRET_KEY="k" * 32).returncode == 0


def test_the_embedded_redis_starts_and_answers(tmp_path):
    from core import embedded_redis

    port = embedded_redis.free_port()
    process = embedded_redis.start(port=port, data_dir=tmp_path, persist=False)
    try:
        assert embedded_redis.port_answers("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_debug_off_uses_the_local_key_make_run_made_so_manage_py_works_in_the_checkout(tmp_path):
    (tmp_path / "secret_key").write_text("a-local-key-made-by-make-run-" + "x" * 30)
    assert _django_setup(tmp_path).returncode == 0
