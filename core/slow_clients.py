"""The web process's defence against slow request bodies (WSGI middleware around Django; docs/reliability.md).

A client that sends headers with a huge Content-Length and then trickles bytes holds a gunicorn thread for as long
as it likes; a few dozen of them used to freeze the server. Here every request body is read under three bounds:

- no byte for WEB_BODY_READ_TIMEOUT_SECONDS: the read is cut (a socket timeout on the connection);
- slower on average than WEB_BODY_MIN_RATE_KB kB/s once WEB_BODY_GRACE_SECONDS have passed: cut;
- a body still arriving after WEB_SLOW_BODY_SECONDS counts as slow; one client address may hold at most
  WEB_SLOW_BODIES_PER_CLIENT slow bodies per web process: beyond that its new slow body is cut at once, and while
  it holds that many, its new requests with a body are refused (429) before a byte of body is read.

A cut answers 408 (429 for the refusal) with `Connection: close`, and the socket's read side is shut so neither
the server's keep-alive drain nor its graceful close waits on the client again. A response sent before the body
was read (a 401 to an anonymous upload, say) closes the connection the same way instead of draining the body.

gunicorn drops an application's `Connection` header (hop-by-hop) and decides keep-alive from its own request
object: the answer used to say `Connection: keep-alive` on a connection whose read side was shut, and the rest of
the unread body, arriving after gunicorn's drain had stopped at that shut, was parsed as the next request
(`Invalid HTTP request line: '--boundary'`, an HTML 400 for the client's next, well-formed request). So the
request object is handed over by platform/gunicorn.conf.py's pre_request hook (`server_request_bind`), and a
close sets its `must_close`: gunicorn then says `Connection: close` and drops the connection after the answer.
"""
import json
import logging
import socket
import threading
import time
from collections import Counter

from django.conf import settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_slow_bodies: Counter = Counter()  # client address -> bodies now being read slowly, in this process
_active: set = set()  # GuardedInput objects of requests in progress
_monitor: threading.Thread | None = None
MONITOR_INTERVAL_SECONDS = 0.25
_server = threading.local()  # gunicorn's request object of the request this thread serves (see the docstring)


def server_request_bind(request) -> None:
    """gunicorn's pre_request/post_request hooks: the server's request object for this thread (None: done)."""
    _server.request = request


def _connection_closes(environ) -> None:
    """Make the server close the connection after this answer (and say so in its `Connection` header)."""
    request = getattr(_server, "request", None)
    if request is not None and getattr(request, "uri", None) == environ.get("RAW_URI"):
        request.must_close = True


class BodyCut(OSError):
    """The body read was cut (Django turns an OSError during a read into UnreadablePostError)."""


class GuardedInput:
    """wsgi.input under the bounds above.

    gunicorn's body reader returns only once the size asked for has arrived, so a client trickling bytes never
    makes a read return: a monitor thread polices the reads in progress, and cuts one by shutting the socket's
    read side, which wakes the blocked recv() at once.
    """

    def __init__(self, stream, *, client: str, sock, length: int | None):
        self.stream, self.client, self.sock, self.length = stream, client, sock, length
        self.started = time.monotonic()
        self.received = 0
        self.eof = False  # the body's end was read (how a chunked body completes)
        self.pending = 0  # bytes asked for by the read in progress (0: no read in progress)
        self.slow = False
        self.cut_reason = ""
        if sock is not None:
            sock.settimeout(settings.WEB_BODY_READ_TIMEOUT_SECONDS)
        with _lock:
            _active.add(self)
        _ensure_monitor()

    @property
    def complete(self) -> bool:
        return self.eof or (self.length is not None and self.received >= self.length)

    def read(self, size=-1):
        return self._guarded(self.stream.read, size)

    def readline(self, size=-1):
        return self._guarded(self.stream.readline, size)

    def readlines(self, hint=-1):
        return self._guarded(self.stream.readlines, hint)

    def __iter__(self):
        while line := self.readline():
            yield line

    def _guarded(self, read, size):
        if self.cut_reason:
            raise BodyCut(self.cut_reason)
        remaining = (self.length - self.received) if self.length is not None else 65536
        self.pending = max(1, min(size, remaining) if size is not None and size >= 0 else remaining)
        try:
            data = read(size)
        except OSError as exc:  # socket.timeout included
            self.cut(f"no body data for {settings.WEB_BODY_READ_TIMEOUT_SECONDS:g} s ({exc.__class__.__name__})")
            raise BodyCut(self.cut_reason) from exc
        finally:
            self.pending = 0
        if self.cut_reason:
            raise BodyCut(self.cut_reason)
        read_size = sum(map(len, data)) if isinstance(data, list) else len(data)
        self.received += read_size
        self.eof = self.eof or (read_size == 0 and size != 0)
        if self.complete:
            self.release()
        return data

    def police(self, now: float) -> None:
        """Called by the monitor (with _lock held) while a read is in progress."""
        if self.cut_reason or not self.pending:
            return
        elapsed = now - self.started
        if not self.slow and elapsed > settings.WEB_SLOW_BODY_SECONDS:
            if _slow_bodies[self.client] >= settings.WEB_SLOW_BODIES_PER_CLIENT:
                self._cut_locked(f"more than {settings.WEB_SLOW_BODIES_PER_CLIENT} slow uploads at once from one "
                                 "address")
                return
            _slow_bodies[self.client] += 1
            self.slow = True
        # Even if the read in progress completed this instant, the body would average under the minimum rate.
        if elapsed > settings.WEB_BODY_GRACE_SECONDS and \
                self.received + self.pending < settings.WEB_BODY_MIN_RATE_KB * 1024 * elapsed:
            self._cut_locked(f"the body arrived slower than {settings.WEB_BODY_MIN_RATE_KB:g} kB/s")

    def cut(self, reason: str) -> None:
        with _lock:
            self._cut_locked(reason)

    def _cut_locked(self, reason: str) -> None:
        if self.cut_reason:
            return
        self.cut_reason = reason
        self._release_locked()
        _shut_reading(self.sock)  # wakes a recv() blocked on this client
        log.warning("request body from %s cut after %.1f s and %d bytes: %s", self.client,
                    time.monotonic() - self.started, self.received, reason)

    def release(self) -> None:
        with _lock:
            self._release_locked()

    def _release_locked(self) -> None:
        if self.slow:
            _slow_bodies[self.client] -= 1
            if _slow_bodies[self.client] <= 0:
                del _slow_bodies[self.client]
            self.slow = False

    def finish(self) -> None:
        with _lock:
            self._release_locked()
            _active.discard(self)


def _ensure_monitor() -> None:
    global _monitor
    with _lock:
        if _monitor is not None and _monitor.is_alive():
            return
        _monitor = threading.Thread(target=_police_forever, name="slow-body-monitor", daemon=True)
        _monitor.start()


def _police_forever() -> None:
    while True:
        time.sleep(MONITOR_INTERVAL_SECONDS)
        now = time.monotonic()
        with _lock:
            for guarded in list(_active):
                try:
                    guarded.police(now)
                except Exception:  # the monitor must outlive any one request
                    log.exception("slow-body monitor")


def _json(start_response, status: str, detail: str, extra_headers=()):
    body = json.dumps({"detail": detail}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("Connection", "close"), *extra_headers])
    return [body]


def _shut_reading(sock) -> None:
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass


class SlowBodyGuard:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        length = _content_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not length and not chunked:
            return self.app(environ, start_response)
        client = environ.get("REMOTE_ADDR", "")
        sock = environ.get("gunicorn.socket")
        with _lock:
            refused = _slow_bodies[client] >= settings.WEB_SLOW_BODIES_PER_CLIENT
        if refused:
            _connection_closes(environ)
            _shut_reading(sock)
            return _json(start_response, "429 Too Many Requests",
                         f"This address is already sending {settings.WEB_SLOW_BODIES_PER_CLIENT} slow uploads; "
                         "retry when they finish.", [("Retry-After", "10")])
        guarded = GuardedInput(environ["wsgi.input"], client=client, sock=sock, length=None if chunked else length)
        environ["wsgi.input"] = guarded
        captured = []
        try:
            result = self.app(environ, lambda *args: captured.append(args))
        finally:
            guarded.finish()
        if guarded.cut_reason:
            if hasattr(result, "close"):
                result.close()
            _connection_closes(environ)
            _shut_reading(sock)
            return _json(start_response, "408 Request Timeout", f"The request body was cut: {guarded.cut_reason}.")
        status, headers, *exc_info = captured[0]
        if not guarded.complete and sock is not None:
            # Answered without reading the whole body: close instead of draining what the client still sends.
            headers = [(k, v) for k, v in headers if k.lower() != "connection"] + [("Connection", "close")]
            _connection_closes(environ)
            _shut_reading(sock)
        start_response(status, headers, *exc_info)
        return result


def _content_length(environ) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
