"""Errors the client raises: each API error carries the status and the API's JSON body (`detail`, `errors`)."""
from __future__ import annotations


class ApiError(Exception):
    """A 4xx/5xx answer from the platform, with its body."""

    def __init__(self, status: int, body: dict | None, method: str = "", url: str = ""):
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        self.method, self.url = method, url
        self.detail = str(self.body.get("detail") or f"HTTP {status}")
        super().__init__(f"{status}: {self.detail}")

    @property
    def errors(self) -> dict | list | None:
        return self.body.get("errors")


class AuthError(ApiError):
    """401 (no, bad, expired or revoked credentials) or 403 (the role forbids it)."""


class NotFound(ApiError):
    """404: unknown, or not visible to this user."""


class TransportError(Exception):
    """The platform could not be reached (connection refused, timeout) after the retries."""


class JobFailed(Exception):
    """A job the client waited on ended FAILED or CANCELLED; `job` is its last JSON."""

    def __init__(self, job: dict):
        self.job = job
        super().__init__(f"job {job.get('id')} {job.get('state')}: {job.get('error') or ''}".strip())


def error_for(status: int, body, method: str, url: str) -> ApiError:
    kind = AuthError if status in (401, 403) else NotFound if status == 404 else ApiError
    return kind(status, body, method, url)
