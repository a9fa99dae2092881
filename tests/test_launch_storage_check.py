"""`make run` with ARTIFACT_STORAGE=s3 checks the store before it starts anything (platform/launch.py), and the
container entrypoint does so before each process that uses the store; the filesystem store is not checked there."""
import importlib.util
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("platform_launch", ROOT / "platform" / "launch.py")
launch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launch)
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def _env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ARTIFACT_", "DJANGO_SETTINGS"))}
    return {**env, "SECRET_KEY": "x" * 40, **extra}


def test_the_launcher_stops_at_a_missing_bucket_with_the_checks_message(s3_server, capsys):
    bucket = f"vp-missing-{uuid.uuid4().hex[:8]}"
    env = _env(**s3_server.env(bucket=bucket))
    assert launch.storage_checked(MANAGE, env) == 1
    printed = capsys.readouterr().out
    assert "the artifact store is not usable" in printed
    assert f"bucket '{bucket}' at {s3_server.endpoint}: no such bucket" in printed


def test_the_launcher_goes_on_when_the_bucket_is_there(s3_server, capsys):
    env = _env(**s3_server.env(bucket=s3_server.bucket()))
    assert launch.storage_checked(MANAGE, env) == 0
    assert "written, read back and deleted" in capsys.readouterr().out


def test_the_launcher_does_not_check_the_filesystem_store():
    assert launch.storage_checked(["false"], _env(ARTIFACT_STORAGE="filesystem")) == 0
    assert launch.storage_checked(["false"], _env()) == 0


def test_the_entrypoint_checks_the_store_before_each_process_that_uses_it():
    entrypoint = (ROOT / "platform" / "entrypoint.sh").read_text()
    for role in ("web", "worker-gpu", "worker-inference", "worker-default"):
        block = entrypoint.split(f"  {role})", 1)[1].split(";;", 1)[0]
        assert block.lstrip().startswith("python manage.py storage_check"), role
