"""Domain errors: what services, selectors, runners and checks raise when a request cannot be done, in the web process
and inside Celery jobs alike. No HTTP here beyond data: each class names the status the API answers (`status`), and
core/http_errors.py turns any of them into that answer in one place, `{"detail": message, **extra}`.
"""
import re


class DomainError(Exception):
    """`message` is the answer's `detail`; `extra` adds members to the answer (`dependents`, `error_id`)."""

    status = 400  # the HTTP status the API answers (core/http_errors.py)
    retry_after: int | None = None  # seconds; the API sends it as Retry-After

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def __str__(self) -> str:
        return self.message

    def body(self) -> dict:
        return {"detail": self.message, **self.extra}


class Invalid(DomainError):
    """The request breaks a rule; `errors` names the fields (`{"file": ["the file is empty"]}`), and the message
    then says the same in one line (`file: the file is empty`)."""

    status = 400

    def __init__(self, message: str | None = None, *, errors: dict[str, list[str]] | None = None, **extra):
        super().__init__(message or errors_summary(errors or {}), **extra)
        self.errors = errors

    def body(self) -> dict:
        return {**super().body(), **({"errors": self.errors} if self.errors is not None else {})}


class Forbidden(DomainError):
    """The user sees the object but may not do this to it."""
    status = 403


class NotFound(DomainError):
    """No such object, or none the user may see (so others' ids are not confirmed)."""
    status = 404


class Conflict(DomainError):
    """The object's current state forbids it (a finished job cancelled, a running one deleted)."""
    status = 409


class InUse(Conflict):
    """A delete that other rows block (core/deletion.py); `dependents` lists them, as the answer does."""

    def __init__(self, message: str, *, dependents: list[dict]):
        super().__init__(message, dependents=dependents)
        self.dependents = dependents


class TooLarge(DomainError):
    """A request body or upload over its limit."""
    status = 413


class Unprocessable(DomainError):
    """Well formed but cannot be done with this object (a model file no engine can load)."""
    status = 422


class QuotaExceeded(DomainError):
    """A per-user quota (QUOTA_ACTIVE_JOBS in jobs/quota.py, QUOTA_UPLOAD_MB in registry/uploads.py)."""
    status = 429


class Unavailable(DomainError):
    """A service the request needs (Redis, the inference pool) is down or full: transient, retry later."""
    status = 503


class TimedOut(DomainError):
    """No answer within the request's deadline."""
    status = 504


def errors_summary(errors: dict) -> str:
    """`field: message; other: message`: field-keyed errors (nested ones too) as one line for `detail`."""
    parts = []
    for field, messages in errors.items():
        if isinstance(messages, (list, tuple)):
            text = " ".join(str(m) for m in messages if not isinstance(m, (dict, list)))
            text = text or "invalid"
        elif isinstance(messages, dict):
            text = errors_summary(messages)
        else:
            text = str(messages)
        parts.append(f"{field}: {text}")
    return "; ".join(parts) or "Invalid request."


# an absolute path of two parts or more (/srv/var/artifacts/models/ab/ab12.onnx, C:\\x\\y): not for clients' eyes
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.\-+@~]+){2,}[/\\]?")


def without_paths(text: str) -> str:
    """`text` with every server path replaced by <path>: an engine's or a library's message quotes the files it
    read, and an error message must not tell a client where the server keeps them."""
    return _PATH.sub("<path>", str(text))
