"""Thin DRF views for datasets: upload (validate, version, dedupe), list, detail, download, delete."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanWriteOrReadOnly
from core.pagination import paginated_response
from core.storage import artifact_download_response, artifact_exists
from ..uploads import DATASET_CAP, UploadOnDisk, uploads_capped

from . import selectors, services
from .serializers import DatasetFilterSerializer, DatasetListSerializer, DatasetSerializer, DatasetUploadSerializer


class DatasetListCreateApi(APIView):
    permission_classes = [CanWriteOrReadOnly]
    parser_classes = [MultiPartParser, FormParser]

    def initialize_request(self, request, *args, **kwargs):
        if request.method == "POST":  # must precede any read of the body
            uploads_capped(request, cap=DATASET_CAP)
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(parameters=[DatasetFilterSerializer], responses=DatasetListSerializer(many=True))
    def get(self, request):
        filters = DatasetFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        datasets = selectors.dataset_list(user=request.user, **filters.validated_data)
        return paginated_response(request=request, view=self, queryset=datasets,
                                  serializer_class=DatasetListSerializer)

    @extend_schema(request=DatasetUploadSerializer, responses={201: DatasetSerializer, 200: DatasetSerializer})
    def post(self, request):
        serializer = DatasetUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with UploadOnDisk(data["file"]) as archive_path:
            try:
                result = services.dataset_ingest(owner=request.user, name=data["name"], archive_path=archive_path,
                                                 shared=data["shared"])
            except services.DatasetRejected as rejected:
                return Response({"detail": f"The dataset was rejected: {rejected}", "report": rejected.report},
                                status=status.HTTP_400_BAD_REQUEST)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(DatasetSerializer(result.dataset).data, status=code)


class DatasetDetailApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=DatasetSerializer)
    def get(self, request, dataset_id: int):
        return Response(DatasetSerializer(selectors.dataset_get(user=request.user, dataset_id=dataset_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, dataset_id: int):
        dataset = selectors.dataset_get(user=request.user, dataset_id=dataset_id)
        services.dataset_delete(user=request.user, dataset=dataset)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetDownloadApi(APIView):
    @extend_schema(responses={(200, "application/zip"): bytes})
    def get(self, request, dataset_id: int):
        dataset = selectors.dataset_get(user=request.user, dataset_id=dataset_id)
        if not artifact_exists(dataset.archive):
            raise Http404("This dataset has no stored archive.")
        return artifact_download_response(name=dataset.archive, filename=f"{dataset.name}-v{dataset.version}.zip",
                                          content_type="application/zip")
