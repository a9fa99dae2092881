"""Inference API: predictions on a model, and the pool's health (processes and the models they hold warm)."""
import base64
import binascii
import time

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import ServiceUnavailable
from config.parsers import JSONObjectParser

from . import channel
from .images import BadImage, image_check
from .metrics import LATENCY, REQUESTS
from .serializers import PredictJsonSerializer, PredictParamsSerializer
from .selectors import inference_model_get
from .services import inference_predict


def _read_images(request) -> tuple[list[bytes], dict]:
    """The request's images as bytes and its raw parameters; 400 naming the problem."""
    limit = settings.INFERENCE_MAX_BODY_MB * 1024 * 1024
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:  # refuse before the body is read
        raise exceptions.ValidationError(
            {"detail": f"request body is {length / 2**20:.1f} MB; the limit is {settings.INFERENCE_MAX_BODY_MB} MB "
                       "(INFERENCE_MAX_BODY_MB)"})
    if request.content_type.startswith("multipart/"):
        files = request.FILES.getlist("image")
        if not files:
            raise exceptions.ValidationError({"image": ["no image: send one or more files in the `image` field."]})
        if len(files) > settings.INFERENCE_MAX_IMAGES:
            raise exceptions.ValidationError({"image": [f"{len(files)} images; at most {settings.INFERENCE_MAX_IMAGES} "
                                                        "per request (INFERENCE_MAX_IMAGES)."]})
        params = PredictParamsSerializer(data={k: v for k, v in request.data.items() if k != "image"})
        params.is_valid(raise_exception=True)
        return [f.read() for f in files], params.validated_data
    serializer = PredictJsonSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    images = []
    for index, text in enumerate(serializer.validated_data.pop("images")):
        try:
            images.append(base64.b64decode(text.split(",", 1)[-1] if text.startswith("data:") else text, validate=True))
        except (binascii.Error, ValueError):
            raise exceptions.ValidationError({"images": [f"images[{index}] is not valid base64."]}) from None
    return images, serializer.validated_data


class PredictApi(APIView):
    parser_classes = [MultiPartParser, JSONObjectParser]

    @extend_schema(request=PredictJsonSerializer, responses={200: dict})
    def post(self, request, model_id: int):
        started = time.perf_counter()
        engine, code = "", 500
        try:
            model = inference_model_get(user=request.user, model_id=model_id)  # 404 before reading the body
            images, params = _read_images(request)
            label = "image" if request.content_type.startswith("multipart/") else "images"
            for index, data in enumerate(images):
                try:
                    image_check(data, label=f"{label}[{index}]")
                except BadImage as exc:
                    raise exceptions.ValidationError({label: [str(exc)]}) from None
            body = inference_predict(model=model, params=params, images=images)
            engine, code = body["engine"], 200
            return Response(body)
        except exceptions.APIException as exc:
            code = exc.status_code
            raise
        except Exception as exc:
            code = getattr(exc, "status_code", 404 if exc.__class__.__name__ == "Http404" else 500)
            raise
        finally:
            REQUESTS.labels(str(model_id), engine, str(code)).inc()
            if code == 200:
                LATENCY.labels(str(model_id), engine).observe(time.perf_counter() - started)


class HealthApi(APIView):
    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request):
        try:
            pools = channel.pools_live(max_age=0)
        except Exception as exc:
            raise ServiceUnavailable(f"Redis is unreachable: {exc}") from exc
        now = time.time()
        workers = [{"id": p["id"], "host": p["host"], "pid": p["pid"], "heartbeat_age_s": round(now - p["at"], 2),
                    "uptime_s": round(now - p["started"]), "rss_mb": p.get("rss_mb"), "batches": p.get("batches"),
                    "max_batch": p.get("max_batch"), "batch_window_ms": p.get("batch_window_ms"),
                    "engines": sorted(n for n, i in p.get("engines", {}).items() if i.get("available")),
                    "unavailable_engines": {n: i.get("reason") for n, i in p.get("engines", {}).items()
                                            if not i.get("available")},
                    "models": p.get("models", [])} for p in pools]
        body = {"status": "ok" if workers else "down", "processes": len(workers), "workers": workers}
        return Response(body, status=200 if workers else 503)
