"""The Open Inference Protocol (KServe v2) HTTP endpoints under /v2/: thin views over v2_services.py.

Errors are v2 bodies, `{"error": "..."}`, with the status REST predict would answer (400 bad input, 401/403, 404
unknown or invisible model, 409, 413, 503 queue full with Retry-After, 504). Health and server metadata need no
login (probes); model metadata, readiness and infer take the same authentication and visibility as REST predict.
"""
import time

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.http_errors import api_exception_handler

from . import channel
from .metrics import prediction_recorded
from .requests import body_within_limit
from .selectors import inference_model_by_name
from .v2_protocol import V2Error, infer_request_read
from .v2_services import (v2_infer, v2_model_metadata, v2_model_unready_reason, v2_server_metadata,
                          v2_server_ready)

def v2_exception_handler(exc, context):
    """The platform's handler (statuses, Retry-After, WWW-Authenticate), with the body as v2 wants it."""
    if isinstance(exc, V2Error):
        return Response({"error": exc.message}, status=exc.status)
    response = api_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        response.data = {"error": str(response.data.get("detail", response.data))}
    return response


class V2Api(APIView):
    def get_exception_handler(self):
        return v2_exception_handler


class V2PublicApi(V2Api):
    permission_classes = [AllowAny]
    authentication_classes = []


class ServerLiveApi(V2PublicApi):
    @extend_schema(tags=["v2"], responses={200: None})
    def get(self, request):
        return HttpResponse(status=200)


class ServerReadyApi(V2PublicApi):
    @extend_schema(tags=["v2"], responses={200: None})
    def get(self, request):
        if v2_server_ready():
            return HttpResponse(status=200)
        return Response({"error": "no inference pool process is running"}, status=503)


class ServerMetadataApi(V2PublicApi):
    @extend_schema(tags=["v2"], responses={200: dict})
    def get(self, request):
        return Response(v2_server_metadata())


class ModelMetadataApi(V2Api):
    @extend_schema(tags=["v2"], responses={200: dict})
    def get(self, request, name: str, version: str | None = None):
        return Response(v2_model_metadata(inference_model_by_name(user=request.user, name=name, version=version)))


class ModelReadyApi(V2Api):
    @extend_schema(tags=["v2"], responses={200: None})
    def get(self, request, name: str, version: str | None = None):
        reason = v2_model_unready_reason(inference_model_by_name(user=request.user, name=name, version=version))
        return Response({"error": reason}, status=503) if reason else HttpResponse(status=200)


class InferApi(V2Api):
    parser_classes = []  # the body is read raw: a JSON header, then binary tensor data

    @extend_schema(tags=["v2"], request={"application/octet-stream": bytes},
                   responses={200: OpenApiResponse(description="v2 infer response (JSON, or JSON then binary "
                                                               "outputs with Inference-Header-Content-Length)"),
                              504: OpenApiResponse(description="no answer within the deadline")})
    def post(self, request, name: str, version: str | None = None):
        model = inference_model_by_name(user=request.user, name=name, version=version)  # 404 before the body
        with prediction_recorded(model_id=model.pk) as outcome, channel.Announcement(model.pk) as announcement:
            body_within_limit(request)
            started = time.perf_counter()
            infer = infer_request_read(request._request.read(), request.headers.get("Inference-Header-Content-Length"),
                                       max_images=settings.INFERENCE_MAX_IMAGES)
            infer.read_ms = (time.perf_counter() - started) * 1000
            body, header_length, outcome.engine = v2_infer(model=model, request=infer, announcement=announcement)
        response = HttpResponse(body, content_type="application/octet-stream" if header_length else
                                "application/json")
        if header_length is not None:
            response["Inference-Header-Content-Length"] = str(header_length)
        return response
