"""Thin DRF views for datasets: upload (validate, version, dedupe), list, detail, download, delete."""
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanWriteOrReadOnly
from config.pagination import paginated_response

from . import dataset_selectors as selectors
from . import dataset_services as services
from .dataset_serializers import (DatasetFilterSerializer, DatasetListSerializer, DatasetSerializer,
                                  DatasetUploadSerializer)


class UploadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"


def _too_large() -> UploadTooLarge:
    return UploadTooLarge(f"The upload is larger than the limit of {settings.MAX_DATASET_UPLOAD_MB} MB "
                          "(MAX_DATASET_UPLOAD_MB).")


class SizeLimitUploadHandler(FileUploadHandler):
    """First in the handler chain: stops a multipart upload as soon as its file passes the limit, before the
    rest is streamed to disk. Passes the bytes on unchanged otherwise."""

    def __init__(self, request=None, limit: int = 0):
        super().__init__(request)
        self.limit = limit

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit + 1024 * 1024:  # 1 MB of slack for the form fields
            raise _too_large()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            raise _too_large()
        return raw_data

    def file_complete(self, file_size):
        return None


class DatasetListCreateApi(APIView):
    permission_classes = [CanWriteOrReadOnly]
    parser_classes = [MultiPartParser, FormParser]

    def initialize_request(self, request, *args, **kwargs):
        if request.method == "POST":  # must precede any read of the body
            limit = settings.MAX_DATASET_UPLOAD_MB * 1024 * 1024
            request.upload_handlers.insert(0, SizeLimitUploadHandler(request, limit))
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(parameters=[OpenApiParameter("name", str)], responses=DatasetListSerializer(many=True))
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


class UploadOnDisk:
    """The upload as a path: Django's temporary file when it streamed to disk, else a scratch copy."""

    def __init__(self, upload):
        self.upload = upload
        self.copy = None

    def __enter__(self) -> Path:
        if hasattr(self.upload, "temporary_file_path"):
            return Path(self.upload.temporary_file_path())
        self.copy = tempfile.NamedTemporaryFile(dir=settings.SCRATCH_ROOT, prefix="upload-", suffix=".zip")
        for chunk in self.upload.chunks():
            self.copy.write(chunk)
        self.copy.flush()
        return Path(self.copy.name)

    def __exit__(self, *exc):
        if self.copy is not None:
            self.copy.close()
        self.upload.close()  # deletes Django's temporary file
        return False


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
        path = selectors.dataset_archive_path(dataset)
        if path is None or not path.is_file():
            raise Http404("This dataset has no stored archive.")
        return FileResponse(open(path, "rb"), as_attachment=True, filename=f"{dataset.name}-v{dataset.version}.zip",
                            content_type="application/zip")
