"""Inference API: predictions on a model, and the pool's health (processes and the models they hold warm)."""
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.parsers import JSONObjectParser

from . import channel
from .metrics import prediction_recorded
from .requests import ImageBodyParser, predict_request_read
from .selectors import inference_model_get
from .serializers import PredictJsonSerializer
from .services import inference_pools_health, inference_predict


class PredictApi(APIView):
    parser_classes = [MultiPartParser, JSONObjectParser, ImageBodyParser]

    @extend_schema(request=PredictJsonSerializer, responses={200: dict})
    def post(self, request, model_id: int):
        with prediction_recorded(model_id=model_id) as outcome:
            model = inference_model_get(user=request.user, model_id=model_id)  # 404 before reading the body
            with channel.Announcement(model.pk) as announcement:  # so the pool's batching window waits for it
                images, params = predict_request_read(request)
                body = inference_predict(model=model, params=params, images=images, announcement=announcement)
            outcome.engine = body["engine"]
        return Response(body)


class HealthApi(APIView):
    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request):
        body = inference_pools_health()
        return Response(body, status=200 if body["processes"] else 503)
