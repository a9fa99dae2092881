"""The one URL for serving: `POST /api/models/{id}/serving/` sets or clears the engine that serves a model."""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanWriteOrReadOnly
from registry.model_versions.selectors import model_get_visible
from registry.model_versions.serializers import ModelVersionDetailSerializer

from .models import EVERY_CLASS
from .serializers import ServingSetSerializer
from .services import serving_clear, serving_set


class ModelServingApi(APIView):
    """Set (`{"engine": ..., "version": ..., "hardware_class": ...}`) or clear (`{"engine": ""}`) the engine that
    serves a model; the answer is the model, whose `serving_by_class` lists every choice."""

    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(request=ServingSetSerializer, responses=ModelVersionDetailSerializer)
    def post(self, request, model_id: int):
        model = model_get_visible(user=request.user, model_id=model_id)
        serializer = ServingSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not data["engine"]:
            serving_clear(user=request.user, model=model, hardware_class=data["hardware_class"])
        else:
            version = (model_get_visible(user=request.user, model_id=data["version"])
                       if data["version"] is not None else None)
            serving_set(user=request.user, model=model, engine=data["engine"], version=version,
                        hardware_class=data["hardware_class"] or EVERY_CLASS)
        model = model_get_visible(user=request.user, model_id=model_id)
        return Response(ModelVersionDetailSerializer(model).data)
