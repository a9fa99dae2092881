"""Slow request bodies against a real gunicorn (make run's settings): 100 connections that send headers with a 2 GB
Content-Length and then trickle bytes do not freeze the server, and every one of them gets an answer."""
import socket
import threading
import time

import pytest
import requests
from rest_framework_simplejwt.tokens import RefreshToken

from tests.waiting import wait_for
from tests.web_server import gunicorn_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

SLOW = 100


def _slow_upload(port: int, token: str | None) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    sock.sendall((f"POST /api/datasets/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Length: 2000000000\r\n"
                  "Content-Type: multipart/form-data; boundary=xyz\r\n\r\n--xyz\r\n").encode())
    return sock


def test_a_hundred_slow_uploads_neither_freeze_the_server_nor_go_unanswered(alice, gunicorn_server):
    url, port = gunicorn_server.url, gunicorn_server.port
    token = str(RefreshToken.for_user(alice).access_token)
    # Half anonymous (answered 401 before the body is read), half logged in (the body is read, then cut).
    sockets = [_slow_upload(port, token if i % 2 else None) for i in range(SLOW)]
    answers: dict[int, bytes] = {}
    stop = threading.Event()

    def trickle():
        while not stop.wait(0.5):
            for i, sock in enumerate(sockets):
                if i not in answers:
                    try:
                        sock.sendall(b"a")
                    except OSError:
                        pass

    def collect(i, sock):
        try:
            answers[i] = sock.recv(64) or b"closed"
        except OSError as exc:
            answers[i] = repr(exc).encode()

    threads = [threading.Thread(target=trickle, daemon=True)]
    threads += [threading.Thread(target=collect, args=(i, s), daemon=True) for i, s in enumerate(sockets)]
    for thread in threads:
        thread.start()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        slowest = 0.0
        for _ in range(6):
            time.sleep(0.5)
            for path, extra in (("/api/health/live/", {}), ("/api/jobs/", headers)):
                started = time.monotonic()
                response = requests.get(url + path, headers=extra, timeout=5)
                slowest = max(slowest, time.monotonic() - started)
                assert response.status_code == 200, (path, response.status_code)
        print(f"slowest of 12 GETs with {SLOW} slow uploads open: {slowest * 1000:.0f} ms")
        assert slowest < 1.0, f"a request took {slowest:.2f} s while {SLOW} slow uploads were open"
        wait_for(lambda: len(answers) == SLOW, timeout=30, interval=0.2, message="every slow upload to be answered")
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
    statuses = sorted({answer[:12].decode(errors="replace") for answer in answers.values()})
    assert all(status.split(" ")[-1] in ("401", "408", "429") for status in statuses), statuses
