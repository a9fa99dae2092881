"""API error shape: every 4xx/5xx answer carries a `detail` message, and field errors stay keyed by field."""
import logging
import re
import uuid

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse, UnreadablePostError
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

log = logging.getLogger(__name__)

# A dependency that is down or too slow: a JSON 503 within the client timeouts (core/redis.py), never a
# 500 and never a hang.
UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
               kombu.exceptions.OperationalError)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class InUse(Conflict):
    """409 for a delete that other rows block (core/deletion.py); the answer lists them under `dependents`."""

    def __init__(self, detail: str, *, dependents: list[dict]):
        super().__init__(detail)
        self.dependents = dependents


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service the request needs is unavailable."
    default_code = "service_unavailable"


class QuotaExceeded(exceptions.APIException):
    """429: a per-user quota (QUOTA_ACTIVE_JOBS in jobs/quota.py, QUOTA_UPLOAD_MB in registry/uploads.py)."""
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "quota_exceeded"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(f"The request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20} MB "
                              "this endpoint accepts (MAX_REQUEST_BODY_MB).")
    if isinstance(exc, (ProtectedError, RestrictedError)):  # a delete outside core.deletion: still a JSON 409
        from .deletion import in_use  # cycle: core.deletion raises this module's InUse

        exc = in_use(None, exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, UnreadablePostError):  # the client stopped sending, or core/slow_clients.py cut it
        exc = exceptions.ParseError(f"The request body could not be read: {exc}")
    if isinstance(exc, UNAVAILABLE):
        log.warning("a dependency is unavailable: %s: %s", exc.__class__.__name__, exc)
        exc = ServiceUnavailable(f"A service this request needs is unavailable (Redis: {exc.__class__.__name__}); "
                                 "retry shortly.")
    response = exception_handler(exc, context)
    if response is None:
        return server_error_response(exc, context)
    if isinstance(exc, InUse):
        response.data = {"detail": response.data["detail"], "dependents": exc.dependents}
    if isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": _summary(response.data), "errors": response.data}
    elif isinstance(response.data, list):
        response.data = {"detail": "; ".join(str(item) for item in response.data), "errors": response.data}
    return response


def server_error_response(exc, context):
    """An unexpected exception in an API view: JSON 500 with an error id to quote, the traceback in the log only
    (whatever DEBUG says: a debug page under /api/ would hand the traceback to any client)."""
    set_rollback()  # as DRF does for its own errors: an atomic request keeps none of the failed work
    return Response(internal_error_body(exc, context.get("request")), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def internal_error_body(exc, request) -> dict:
    """Log `exc` with its traceback under a fresh error id; the JSON 500 body that quotes the id."""
    error_id = uuid.uuid4().hex[:12]
    log.error("error %s in %s %s", error_id, getattr(request, "method", "?"), getattr(request, "path", "?"),
              exc_info=(type(exc), exc, exc.__traceback__))
    return {"detail": f"Internal server error (error id {error_id}); it has been logged.", "error_id": error_id}


# an absolute path of two parts or more (/srv/var/artifacts/models/ab/ab12.onnx, C:\\x\\y): not for clients' eyes
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.\-+@~]+){2,}[/\\]?")


def without_paths(text: str) -> str:
    """`text` with every server path replaced by <path>: an engine's or a library's message quotes the files it
    read, and an answer must not tell a client where the server keeps them."""
    return _PATH.sub("<path>", str(text))


def _summary(errors: dict) -> str:
    parts = []
    for field, messages in errors.items():
        if isinstance(messages, (list, tuple)):
            text = " ".join(str(m) for m in messages if not isinstance(m, (dict, list)))
            text = text or "invalid"
        elif isinstance(messages, dict):
            text = _summary(messages)
        else:
            text = str(messages)
        parts.append(f"{field}: {text}")
    return "; ".join(parts) or "Invalid request."



@csrf_exempt  # a POST/DELETE to an unknown path is a 404, not a CSRF 403: there is nothing here to protect
def api_not_found(request, unmatched=""):
    """Unknown paths under /api/ answer JSON, like the rest of the API (not Django's HTML 404 page)."""
    return JsonResponse({"detail": f"No API endpoint at {request.path}. See /api/docs/."}, status=404)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: JSON under /api/ (a session-cookie client without the token), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"CSRF check failed: {reason} Send the X-CSRFToken header with a session "
                                       "cookie, or authenticate with a bearer token."}, status=403)
    return django_csrf_failure(request, reason=reason)
