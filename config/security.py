"""HTTP guards of the web process: a content security policy for the HTML pages, and no debug page under /api/.

CSP (CONTENT_SECURITY_POLICY, from the environment) goes on HTML answers only (the admin, the API docs, report
pages): JSON has nothing to execute. Under /api/, an exception that escapes a view outside DRF's own handler (a
plain Django view, a middleware) answers JSON 500 with an error id, whatever DEBUG says: Django's debug page would
hand the traceback and the settings to any client.
"""
import logging
import uuid

from django.conf import settings
from django.http import JsonResponse

log = logging.getLogger(__name__)


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
        error_id = uuid.uuid4().hex[:12]
        log.error("error %s in %s %s", error_id, request.method, request.path,
                  exc_info=(type(exception), exception, exception.__traceback__))
        return JsonResponse({"detail": f"Internal server error (error id {error_id}); it has been logged.",
                             "error_id": error_id}, status=500)
