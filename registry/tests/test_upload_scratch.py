"""Upload scratch is never left behind: a web worker SIGKILLed mid-upload leaves a file that the next worker sweeps,
a refusal mid-stream removes its partial file, and the sweep goes by owner process and age."""
import os
import signal
import socket
import time

import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from registry.uploads import scratch_sweep
from tests.waiting import wait_for
from tests.web_server import gunicorn_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def _owned_uploads() -> list:
    return sorted(p for p in settings.SCRATCH_ROOT.glob("upload-*") if p.is_file())


def test_a_web_worker_killed_mid_upload_leaves_no_temporary_file(alice, gunicorn_server):
    before = set(_owned_uploads())
    token = str(RefreshToken.for_user(alice).access_token)
    total = 40 * 1024 * 1024
    sock = socket.create_connection(("127.0.0.1", gunicorn_server.port), timeout=30)
    try:
        head = (f"POST /api/datasets/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {total}\r\n\r\n"
                '--xyz\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n'
                "Content-Type: application/zip\r\n\r\n")
        sock.sendall(head.encode() + b"\0" * (6 * 1024 * 1024))  # past the 2 MB kept in memory: on disk now
        partial = wait_for(lambda: set(_owned_uploads()) - before, timeout=30, message="the upload's temporary file")
        (path,) = partial
        pid = int(path.name.split("-")[1])

        os.kill(pid, signal.SIGKILL)

        wait_for(lambda: not path.exists(), timeout=60, message=f"{path.name} to be swept by the next worker")
    finally:
        sock.close()
    assert "removed 1 upload scratch entries" in gunicorn_server.log()


def test_the_sweep_removes_dead_owners_and_old_entries_only(tmp_path, settings):
    settings.UPLOAD_SCRATCH_MAX_AGE_HOURS = 1
    dead = 2 ** 22 + 12345  # above the default pid_max: never a live process
    (tmp_path / f"upload-{dead}-abc.upload.zip").write_bytes(b"x")
    (tmp_path / f"dataset-{dead}-abc").mkdir()
    (tmp_path / f"upload-{os.getpid()}-live.upload.zip").write_bytes(b"x")
    (tmp_path / f"upload-{os.getppid()}-parent.upload.zip").write_bytes(b"x")
    old = tmp_path / "tmpabc123.upload.zip"
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    (tmp_path / "tmpnew.upload.zip").write_bytes(b"x")
    (tmp_path / "conversions").mkdir()

    removed = scratch_sweep(root=tmp_path)

    assert sorted(removed) == sorted([f"upload-{dead}-abc.upload.zip", f"dataset-{dead}-abc", old.name])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["conversions", "tmpnew.upload.zip", f"upload-{os.getpid()}-live.upload.zip",
         f"upload-{os.getppid()}-parent.upload.zip"])
