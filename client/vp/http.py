"""The transport under `Client`: auth header, JWT refresh on a 401, retries on 429/503 honouring `Retry-After`,
errors as exceptions carrying the API's body, the job event stream (server-sent events) and upload progress."""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO

import httpx

from .config import Credentials
from .errors import TransportError, error_for

RETRY_STATUSES = (429, 503)
MAX_RETRY_WAIT = 60.0


def retry_after(response: httpx.Response, attempt: int) -> float:
    """The server's Retry-After in seconds (a number; an HTTP date is rare here), else exponential backoff."""
    raw = response.headers.get("Retry-After", "")
    try:
        return min(max(float(raw), 0.0), MAX_RETRY_WAIT)
    except ValueError:
        return min(0.5 * 2 ** attempt, MAX_RETRY_WAIT)


class Transport:
    def __init__(self, creds: Credentials, *, timeout: float = 60.0, retries: int = 4,
                 on_refresh: Callable[[Credentials], None] | None = None, sleep=time.sleep):
        self.creds = creds
        self.retries = retries
        self.on_refresh = on_refresh
        self.sleep = sleep
        self.http = httpx.Client(base_url=creds.url.rstrip("/"), timeout=timeout,
                                 headers={"Accept": "application/json", "User-Agent": "vp-client"})

    def close(self):
        self.http.close()

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.creds.access}"} if self.creds.access else {}

    def _refresh(self) -> bool:
        """A new JWT pair from the refresh token (rotation: the old one is blacklisted); False when there is none."""
        if not self.creds.refresh:
            return False
        response = self.http.post("/api/auth/token/refresh/", json={"refresh": self.creds.refresh})
        if response.status_code != 200:
            return False
        answer = response.json()
        self.creds.access = answer["access"]
        self.creds.refresh = answer.get("refresh", self.creds.refresh)
        if self.on_refresh:
            self.on_refresh(self.creds)
        return True

    def send(self, method: str, path: str, *, rewind: Callable[[], None] | None = None, auth: bool = True,
             **kwargs) -> httpx.Response:
        """One call, retried on 429/503 and connection errors; `rewind` resets an upload's file between tries."""
        refreshed = False
        attempt = 0
        while True:
            headers = {**(self._headers() if auth else {}), **kwargs.pop("headers", {})}
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout) as exc:
                # A read timeout may come after the server acted: only a call that may be repeated is retried then.
                unsafe = isinstance(exc, httpx.ReadTimeout) and method.upper() not in ("GET", "HEAD", "DELETE")
                if attempt >= self.retries or unsafe:
                    raise TransportError(f"{self.creds.url}: {exc.__class__.__name__}: {exc}") from None
                wait = min(0.5 * 2 ** attempt, MAX_RETRY_WAIT)
            else:
                if response.status_code == 401 and auth and not refreshed and self._refresh():
                    refreshed = True
                    wait = 0.0
                elif response.status_code in RETRY_STATUSES and attempt < self.retries:
                    wait = retry_after(response, attempt)
                else:
                    if response.status_code >= 400:
                        raise error_for(response.status_code, _body(response), method, path)
                    return response
            attempt += 1
            self.sleep(wait)
            if rewind:
                rewind()
            kwargs.pop("headers", None)

    def json(self, method: str, path: str, **kwargs):
        response = self.send(method, path, **kwargs)
        return response.json() if response.content else None

    def events(self, path: str, *, max_seconds: float = 300) -> Iterator[tuple[str, dict]]:
        """(event, data) pairs of a server-sent-events stream, until the server ends it."""
        params = {"max_seconds": max_seconds}
        with self.http.stream("GET", path, params=params, headers={**self._headers(), "Accept": "text/event-stream"},
                              timeout=httpx.Timeout(30.0, read=max_seconds + 30)) as response:
            if response.status_code == 401 and self._refresh():
                yield "retry", {}
                return
            if response.status_code >= 400:
                response.read()
                raise error_for(response.status_code, _body(response), "GET", path)
            event, data = "message", []
            for line in response.iter_lines():
                if line.startswith(":"):
                    continue
                if not line:
                    if data:
                        yield event, json.loads("\n".join(data))
                    event, data = "message", []
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())


def _body(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return {"detail": response.text[:500] or f"HTTP {response.status_code}"}


class UploadProgress:
    """A file whose reads report (bytes sent, total) to a callback: the upload progress bar."""

    def __init__(self, handle: BinaryIO, total: int, callback: Callable[[int, int], None] | None):
        self.handle, self.total, self.callback, self.sent = handle, total, callback, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.sent += len(chunk)
        if self.callback:
            self.callback(self.sent, self.total)
        return chunk

    def fileno(self) -> int:  # httpx sizes the multipart body from it: a Content-Length, not a chunked upload
        return self.handle.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:  # httpx rewinds before each send: a retry re-sends it all
        self.sent = 0 if offset == 0 and whence == 0 else self.sent
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def rewind(self):
        self.seek(0)
