"""A body the application never read must not be parsed as the next request on a kept-alive connection (issue 21).

Raw sockets against a real gunicorn with platform/gunicorn.conf.py: a request answered before its body is read
(401 for an anonymous upload, 413 from the declared length, 404 for an unknown model), its body sent in two parts
around the answer, then a second request on the same connection. The server must either close the connection after
the first answer (saying `Connection: close`) or answer the second request properly: never gunicorn's HTML 400 for
a body fragment taken as a request line.
"""
import socket
import time

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from .web_server import gunicorn_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

BODY = b'{"conf": 0.25, "padding": "' + b"x" * 200_000 + b'"}'


def _read_answer(sock) -> bytes:
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def _early_answer_then_second_request(port: int, first_head: str) -> tuple[bytes, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(first_head.format(length=len(BODY)).encode() + BODY[:1000])
        first = _read_answer(sock)
        time.sleep(0.2)  # the rest of the body arrives after the answer, as from a client that streams it
        try:
            sock.sendall(BODY[1000:])
            sock.sendall(b"GET /api/health/live/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            second = _read_answer(sock)
        except OSError as exc:
            second = repr(exc).encode()
        return first, second
    finally:
        sock.close()


@pytest.mark.parametrize("first_head", [
    "POST /api/inference/999999/predict/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Content-Length: {length}\r\n\r\n",  # 401: no credentials, answered before the body is read
    "PATCH /api/users/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Content-Length: {length}\r\n\r\n",
], ids=["predict-401", "patch-401"])
def test_a_body_left_unread_by_an_early_answer_is_not_read_as_a_request(first_head, gunicorn_server):
    port = gunicorn_server.port
    first, second = _early_answer_then_second_request(port, first_head)

    assert first.startswith(b"HTTP/1.1 401"), first[:200]
    closes = b"connection: close" in first.lower()
    if closes:
        assert not second.startswith(b"HTTP/1.1 400"), second[:300]
    else:  # kept alive: the second request must get its own answer
        assert second.startswith(b"HTTP/1.1 200"), (first[:300], second[:300])


def test_an_authenticated_early_404_closes_or_answers_the_next_request(alice, gunicorn_server):
    port = gunicorn_server.port
    token = str(RefreshToken.for_user(alice).access_token)
    head = ("POST /api/inference/999999/predict/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {{length}}\r\n\r\n")
    first, second = _early_answer_then_second_request(port, head)

    assert first.startswith(b"HTTP/1.1 404"), first[:200]
    assert b"connection: close" in first.lower() or second.startswith(b"HTTP/1.1 200"), (first[:300], second[:300])
