"""The OpenAPI schema says what the API really answers: paginated lists and the error responses of every operation.

The API's views are plain APIViews that paginate through core.pagination.paginated_response, so drf-spectacular
cannot see the pagination and documented lists as bare arrays. PlatformAutoSchema gives every GET that answers a
list the platform paginator, which documents `{count, next, previous, results}` and the `limit`/`offset`
parameters. error_responses_hook then adds the error answers (the `Error` body of core.exceptions) that any
operation may give, so a generated client knows their shape and a schema-conformance check accepts them.
"""
from drf_spectacular.openapi import AutoSchema

from core.pagination import PlatformPagination
from core.serializers import StrictSerializer

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every 4xx/5xx answer under /api/: a human-readable `detail`; field errors keyed by field.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, naming the field or limit."},
        "errors": {"description": "Per-field messages (a 400 on a request body or query parameters).",
                   "oneOf": [{"type": "object", "additionalProperties": {}}, {"type": "array", "items": {}}]},
    },
    "required": ["detail"],
}

ERRORS = {
    "400": "Bad request: a body, field or query parameter is invalid (the message names it).",
    "401": "Not signed in, or the token is invalid, expired or revoked.",
    "403": "Signed in, but the role may not do this (viewers cannot write; admin-only operations).",
    "404": "No such object, or not visible to this user.",
    "408": "The request body arrived too slowly (WEB_BODY_READ_TIMEOUT_SECONDS, WEB_BODY_MIN_RATE_KB).",
    "409": "Conflict with the object's current state (e.g. cancelling a finished job).",
    "413": "The request body or upload is larger than its limit.",
    "415": "The body's media type is not accepted by this operation.",
    "429": "Too many requests (login throttle) or a per-user quota reached (the message names the limit).",
    "503": "A dependency (Redis, a worker pool) is unavailable; retry later.",
}
# Errors only some operations give, by the end of their path.
ERRORS_BY_SUFFIX = {
    "/predict/": {"504": "No answer from the inference pool within the request's deadline."},
    "/download/": {"410": "The object's file is missing from storage."},
}


V2_ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}},
                   "description": "An Open Inference Protocol (KServe v2) error: what was wrong, naming the field."}


class PlatformAutoSchema(AutoSchema):
    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False  # unknown fields are a 400 (StrictSerializer)
        return schema

    def _get_paginator(self):
        paginator = super()._get_paginator()
        if paginator is None and self.method == "GET":
            return PlatformPagination()  # only consulted for list responses (_is_list_view)
        return paginator


def error_responses_hook(result, generator, request, public):
    """Postprocessing hook: an `Error` component and the error responses on every operation under /api/."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    result["components"]["schemas"]["V2Error"] = V2_ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if not path.startswith(("/api/", "/v2")):
            continue
        # the Open Inference Protocol's error body under /v2 (inference/v2_apis.py)
        ref = {"$ref": f"#/components/schemas/{'V2Error' if path.startswith('/v2') else 'Error'}"}
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            extra = {code: text for suffix, codes in ERRORS_BY_SUFFIX.items() if path.endswith(suffix)
                     for code, text in codes.items()}
            for code, description in {**ERRORS, **extra}.items():
                responses.setdefault(code, {"description": description,
                                            "content": {"application/json": {"schema": ref}}})
    return result
