"""HTTP guards of the web process: a content security policy for the HTML pages, and no debug page under /api/.

CSP (CONTENT_SECURITY_POLICY, from the environment) goes on HTML answers only (the admin, the API docs, report
pages): JSON has nothing to execute. Under /api/, an exception that escapes a view outside DRF's own handler (a
plain Django view, a middleware) answers JSON 500 with an error id, whatever DEBUG says: Django's debug page would
hand the traceback and the settings to any client.
"""
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse

from .errors import DomainError
from .http_errors import domain_error_response, internal_error_body


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and response.get("Content-Type", "").startswith("text/html") \
                and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None  # Django's own 500 handling (a plain page when DEBUG is off)
        # a plain view's domain errors, "not found" and "forbidden" are answers, not faults (core/http_errors.py)
        if isinstance(exception, DomainError):
            return domain_error_response(exception)
        if isinstance(exception, Http404):
            return JsonResponse({"detail": str(exception) or "Not found."}, status=404)
        if isinstance(exception, PermissionDenied):
            return JsonResponse({"detail": str(exception) or "You do not have permission to do this."}, status=403)
        return JsonResponse(internal_error_body(exception, request), status=500)
