"""Thin DRF views for reports: create and list, detail (with signed links), delete, and the three exports."""
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanWriteOrReadOnly
from core.errors import Conflict
from core.pagination import paginated_response
from core.parsers import JSONObjectParser

from . import selectors, services
from .serializers import ReportCreateSerializer, ReportDetailSerializer, ReportListSerializer, ReportUpdateSerializer


class ReportListCreateApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=ReportListSerializer(many=True))
    def get(self, request):
        return paginated_response(request=request, view=self, queryset=selectors.report_list(user=request.user),
                                  serializer_class=ReportListSerializer)

    @extend_schema(request=ReportCreateSerializer, responses={202: ReportDetailSerializer})
    def post(self, request):
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        selectors.subject_get_visible(user=request.user, kind=data["subject"], object_id=data["id"], field="subject")
        baseline = data["baseline"]
        if baseline:
            selectors.subject_get_visible(user=request.user, kind=baseline["subject"], object_id=baseline["id"],
                                          field="baseline")
        report = services.report_create(owner=request.user, subject_kind=data["subject"], subject_id=data["id"],
                                        baseline_kind=baseline["subject"] if baseline else "",
                                        baseline_id=baseline["id"] if baseline else None, title=data["title"],
                                        shared=data["shared"])
        report = selectors.report_get(user=request.user, report_id=report.pk)
        return Response(ReportDetailSerializer(report, context={"request": request}).data,
                        status=status.HTTP_202_ACCEPTED)


class ReportDetailApi(APIView):
    permission_classes = [CanWriteOrReadOnly]
    # JSON only: a form's values are all strings, and `shared` is a JSON boolean (the schema says so)
    parser_classes = [JSONObjectParser]

    @extend_schema(responses=ReportDetailSerializer)
    def get(self, request, report_id: int):
        report = selectors.report_get(user=request.user, report_id=report_id)
        return Response(ReportDetailSerializer(report, context={"request": request}).data)

    @extend_schema(request=ReportUpdateSerializer, responses=ReportDetailSerializer)
    def patch(self, request, report_id: int):
        report = selectors.report_get(user=request.user, report_id=report_id)
        serializer = ReportUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_update(user=request.user, report=report, **serializer.validated_data)
        return Response(ReportDetailSerializer(report, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, report_id: int):
        report = selectors.report_get(user=request.user, report_id=report_id)
        services.report_delete(user=request.user, report=report)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _ready_report(request, report_id: int):
    report = selectors.report_get(user=request.user, report_id=report_id)
    if not report.is_ready:
        if report.job.state == "FAILED":
            raise Conflict(f"The report could not be rendered: {report.job.error}")
        raise Conflict(f"The report is not rendered yet (job {report.job_id} is {report.job.state}).")
    return report


def _exports():
    # Imported on first download: it pulls in matplotlib (a third of a second), which web start-up need not pay.
    from . import exports  # deferred: matplotlib

    return exports


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReportJsonApi(APIView):
    @extend_schema(responses={(200, "application/json"): dict})
    def get(self, request, report_id: int):
        report = _ready_report(request, report_id)
        return _download(_exports().report_json_bytes(report.snapshot), "application/json", f"report-{report.pk}.json")


class ReportTablesZipApi(APIView):
    @extend_schema(responses={(200, "application/zip"): bytes})
    def get(self, request, report_id: int):
        report = _ready_report(request, report_id)
        return _download(_exports().tables_zip_bytes(report.snapshot), "application/zip",
                         f"report-{report.pk}-tables.zip")


class ReportPdfApi(APIView):
    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request, report_id: int):
        report = _ready_report(request, report_id)
        return _download(_exports().report_pdf_bytes(report.snapshot), "application/pdf", f"report-{report.pk}.pdf")
