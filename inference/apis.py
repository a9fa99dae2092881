"""Inference API: predictions on a model, and the pool's health (processes and the models they hold warm)."""
import time

from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import ServiceUnavailable
from config.parsers import JSONObjectParser

from . import channel
from .requests import predict_request_read
from .selectors import inference_model_get
from .serializers import PredictJsonSerializer
from .services import inference_predict, prediction_recorded


class PredictApi(APIView):
    parser_classes = [MultiPartParser, JSONObjectParser]

    @extend_schema(request=PredictJsonSerializer, responses={200: dict})
    def post(self, request, model_id: int):
        with prediction_recorded(model_id=model_id) as outcome:
            model = inference_model_get(user=request.user, model_id=model_id)  # 404 before reading the body
            images, params = predict_request_read(request)
            body = inference_predict(model=model, params=params, images=images)
            outcome.engine = body["engine"]
        return Response(body)


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
