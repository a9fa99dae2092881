"""Thin DRF views: start/list benchmarks, detail, results as CSV, the latency chart."""
import csv
import io

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanWriteOrReadOnly
from core.pagination import paginated_response
from registry.datasets.selectors import dataset_get
from registry.model_versions.selectors import model_get_visible

from . import selectors, services
from .charts import latency_png
from .serializers import (CSV_COLUMNS, BenchmarkResultSerializer, BenchmarkRunDetailSerializer,
                          BenchmarkRunListSerializer, BenchmarkStartSerializer)


class BenchmarkListStartApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=BenchmarkRunListSerializer(many=True))
    def get(self, request):
        return paginated_response(request=request, view=self, queryset=selectors.benchmark_run_list(user=request.user),
                                  serializer_class=BenchmarkRunListSerializer)

    @extend_schema(request=BenchmarkStartSerializer, responses={202: BenchmarkRunDetailSerializer})
    def post(self, request):
        serializer = BenchmarkStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = dict(serializer.validated_data)
        model = model_get_visible(user=request.user, model_id=params.pop("model"))
        dataset_id = params.pop("dataset")
        dataset = dataset_get(user=request.user, dataset_id=dataset_id) if dataset_id is not None else None
        run = services.benchmark_run_start(owner=request.user, model=model, dataset=dataset, params=params)
        run = selectors.benchmark_run_get(user=request.user, run_id=run.pk)
        return Response(BenchmarkRunDetailSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class BenchmarkDetailApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=BenchmarkRunDetailSerializer)
    def get(self, request, run_id: int):
        run = selectors.benchmark_run_get(user=request.user, run_id=run_id)
        return Response(BenchmarkRunDetailSerializer(run).data)

    @extend_schema(responses={204: None})
    def delete(self, request, run_id: int):
        run = selectors.benchmark_run_get(user=request.user, run_id=run_id)
        services.benchmark_run_delete(user=request.user, run=run)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BenchmarkResultsCsvApi(APIView):
    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request, run_id: int):
        run = selectors.benchmark_run_get(user=request.user, run_id=run_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for row in BenchmarkResultSerializer(run.result_rows.order_by("id"), many=True).data:
            writer.writerow(["" if row[name] is None else row[name] for name in CSV_COLUMNS])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="benchmark-{run.pk}-results.csv"'
        return response


class BenchmarkLatencyChartApi(APIView):
    @extend_schema(responses={(200, "image/png"): bytes})
    def get(self, request, run_id: int):
        run = selectors.benchmark_run_get(user=request.user, run_id=run_id)
        title = f"benchmark #{run.pk}: {run.model.name} v{run.model.version} at {run.params.get('imgsz')} px"
        response = HttpResponse(latency_png(series=selectors.benchmark_latency_series(run=run), title=title),
                                content_type="image/png")
        response["Cache-Control"] = "no-store"  # rows are added while the run measures
        return response
