"""Thin DRF views for model versions: list/upload/preset, detail, download, delete, convert; a conversion's detail
and delete."""
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import DEFAULTS, IMPORT_STRINGS, APISettings
from rest_framework.views import APIView

from accounts.permissions import CanWriteOrReadOnly
from core.pagination import paginated_response
from core.parsers import JSONObjectParser
from core.storage import artifact_download_response, artifact_exists
from ..conversions import services as conversion_services
from ..uploads import MODEL_CAP, uploads_capped

from . import selectors as model_selectors
from . import services as model_services
from .serializers import (ConversionRequestSerializer, ConversionSerializer, ModelFilterSerializer,
                          ModelPresetSerializer, ModelUploadSerializer, ModelVersionDetailSerializer,
                          ModelVersionSerializer)
from .services import SUFFIXES


class FormatIsAFilter(DefaultContentNegotiation):
    """`?format=onnx` filters models by format here, so it must not pick DRF's renderer."""

    settings = APISettings({"URL_FORMAT_OVERRIDE": None}, DEFAULTS, IMPORT_STRINGS)


class ModelCollectionApi(APIView):
    permission_classes = [CanWriteOrReadOnly]
    content_negotiation_class = FormatIsAFilter
    parser_classes = [MultiPartParser, FormParser, JSONObjectParser]

    @extend_schema(parameters=[ModelFilterSerializer], responses=ModelVersionSerializer(many=True))
    def get(self, request):
        filters = ModelFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        models = model_selectors.model_list(user=request.user, **filters.validated_data)
        return paginated_response(request=request, view=self, queryset=models,
                                  serializer_class=ModelVersionSerializer)

    def initialize_request(self, request, *args, **kwargs):
        if request.method == "POST":  # must precede any read of the body
            uploads_capped(request, cap=MODEL_CAP)
        return super().initialize_request(request, *args, **kwargs)

    # A file upload is multipart; a preset is JSON (or a form without a file).
    @extend_schema(request={"multipart/form-data": ModelUploadSerializer, "application/json": ModelPresetSerializer,
                            "application/x-www-form-urlencoded": ModelPresetSerializer},
                   responses={201: ModelVersionDetailSerializer, 200: ModelVersionDetailSerializer})
    def post(self, request):
        data = request.data
        if "preset" in data and "file" not in data:
            serializer = ModelPresetSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            model, created = model_services.model_preset_create(owner=request.user, **serializer.validated_data)
        else:
            serializer = ModelUploadSerializer(data=data)
            serializer.is_valid(raise_exception=True)
            fields = serializer.validated_data
            model, created = model_services.model_upload(owner=request.user, name=fields["name"],
                                                         uploaded=fields["file"], shared=fields["shared"])
        return Response(ModelVersionDetailSerializer(model).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ModelDetailApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=ModelVersionDetailSerializer)
    def get(self, request, model_id: int):
        model = model_selectors.model_get_visible(user=request.user, model_id=model_id)
        return Response(ModelVersionDetailSerializer(model).data)

    @extend_schema(responses={204: None})
    def delete(self, request, model_id: int):
        model = model_selectors.model_get_visible(user=request.user, model_id=model_id)
        model_services.model_delete(user=request.user, model=model)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModelDownloadApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, model_id: int):
        model = model_selectors.model_get_visible(user=request.user, model_id=model_id)
        if not artifact_exists(model.file):
            return Response({"detail": "The model's file is missing from storage."}, status=status.HTTP_410_GONE)
        filename = f"{model.name}-v{model.version}{SUFFIXES.get(model.format, '')}"
        response = artifact_download_response(name=model.file, filename=filename,
                                              content_type="application/octet-stream")
        response["X-Content-SHA256"] = model.sha256
        return response


class ModelConvertApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(request=ConversionRequestSerializer, responses={202: ConversionSerializer,
                                                                   200: ConversionSerializer})
    def post(self, request, model_id: int):
        source = model_selectors.model_get_visible(user=request.user, model_id=model_id)
        serializer = ConversionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversion, created = conversion_services.conversion_request(user=request.user, source=source,
                                                                     **serializer.validated_data)
        return Response(ConversionSerializer(conversion).data,
                        status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class ConversionDetailApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=ConversionSerializer)
    def get(self, request, conversion_id: int):
        conversion = model_selectors.conversion_get(user=request.user, conversion_id=conversion_id)
        return Response(ConversionSerializer(conversion).data)

    @extend_schema(responses={204: None})
    def delete(self, request, conversion_id: int):
        conversion = model_selectors.conversion_get(user=request.user, conversion_id=conversion_id)
        conversion_services.conversion_delete(user=request.user, conversion=conversion)
        return Response(status=status.HTTP_204_NO_CONTENT)
