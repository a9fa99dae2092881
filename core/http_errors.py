"""Error answers over HTTP, in one place: every 4xx/5xx answer carries a `detail` message, field errors stay keyed by
field. Domain errors (core/errors.py) answer the status they carry; DRF's and Django's own errors keep DRF's mapping.
Plain Django views under /api/ get the same through core/security.ApiErrorMiddleware (domain_error_response).
"""
import logging
import uuid

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse, UnreadablePostError
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from .deletion import in_use
from .errors import DomainError, TooLarge, Unavailable, errors_summary

log = logging.getLogger(__name__)

# A dependency that is down or too slow: a JSON 503 within the client timeouts (core/redis.py), never a
# 500 and never a hang.
UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
               kombu.exceptions.OperationalError)


def domain_error_headers(exc: DomainError) -> dict:
    return {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}


def domain_error_response(exc: DomainError) -> JsonResponse:
    """The answer to a domain error raised under a plain Django view (core/security.ApiErrorMiddleware)."""
    return JsonResponse(exc.body(), status=exc.status, headers=domain_error_headers(exc))


def http_status_of(exc: BaseException) -> int:
    """The HTTP status the API answers for `exc` (for metrics' `status` label): a domain error's own, DRF's mapping
    for DRF's and Django's, a v2 protocol error's (inference/v2_protocol.V2Error), else 500."""
    if isinstance(exc, DomainError):
        return exc.status
    if isinstance(exc, exceptions.APIException):
        return exc.status_code
    if isinstance(exc, Http404):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(getattr(exc, "status", None), int):
        return exc.status
    return 500


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = TooLarge(f"The request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20} MB "
                       "this endpoint accepts (MAX_REQUEST_BODY_MB).")
    if isinstance(exc, (ProtectedError, RestrictedError)):  # a delete outside core.deletion: still a JSON 409
        exc = in_use(None, exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, UnreadablePostError):  # the client stopped sending, or core/slow_clients.py cut it
        exc = exceptions.ParseError(f"The request body could not be read: {exc}")
    if isinstance(exc, UNAVAILABLE):
        log.warning("a dependency is unavailable: %s: %s", exc.__class__.__name__, exc)
        exc = Unavailable(f"A service this request needs is unavailable (Redis: {exc.__class__.__name__}); "
                          "retry shortly.")
    if isinstance(exc, DomainError):
        set_rollback()  # as DRF does for its own errors: an atomic request keeps none of the failed work
        return Response(exc.body(), status=exc.status, headers=domain_error_headers(exc))
    response = exception_handler(exc, context)
    if response is None:
        return server_error_response(exc, context)
    if isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": errors_summary(response.data), "errors": response.data}
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
