"""Thin DRF views for training runs: start, list, detail, delete, the per-epoch metrics as CSV, the curves as PNG."""
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
from .serializers import (TrainingRunDetailSerializer, TrainingRunListSerializer, TrainingRunStartSerializer)


class TrainingRunListStartApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=TrainingRunListSerializer(many=True))
    def get(self, request):
        return paginated_response(request=request, view=self, queryset=selectors.training_run_list(user=request.user),
                                  serializer_class=TrainingRunListSerializer)

    @extend_schema(request=TrainingRunStartSerializer, responses={201: TrainingRunDetailSerializer})
    def post(self, request):
        serializer = TrainingRunStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        dataset = dataset_get(user=request.user, dataset_id=data["dataset"])
        parent = (model_get_visible(user=request.user, model_id=data["model"])
                  if data["model"] is not None else None)
        run = services.training_run_start(
            owner=request.user, dataset=dataset, parent_model=parent, preset=data["preset"], name=data["name"],
            epochs=data["epochs"], imgsz=data["imgsz"], batch=data["batch"], seed=data["seed"],
            patience=data["patience"], time_limit_seconds=data["time_limit_seconds"],
            hyperparameters=data["hyperparameters"], target=data["target"])
        run = selectors.training_run_get(user=request.user, run_id=run.pk)
        return Response(TrainingRunDetailSerializer(run).data, status=status.HTTP_201_CREATED)


class TrainingRunDetailApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=TrainingRunDetailSerializer)
    def get(self, request, run_id: int):
        run = selectors.training_run_get(user=request.user, run_id=run_id)
        return Response(TrainingRunDetailSerializer(run).data)

    @extend_schema(responses={204: None})
    def delete(self, request, run_id: int):
        run = selectors.training_run_get(user=request.user, run_id=run_id)
        services.training_run_delete(user=request.user, run=run)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TrainingRunMetricsCsvApi(APIView):
    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request, run_id: int):
        run = selectors.training_run_get(user=request.user, run_id=run_id)
        response = HttpResponse(selectors.training_run_metrics_csv(run=run), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="training-run-{run.pk}-metrics.csv"'
        return response


class TrainingRunCurvesApi(APIView):
    """The run's curves: the saved artifact once the run has ended, else drawn now from the epochs so far."""

    @extend_schema(responses={(200, "image/png"): bytes})
    def get(self, request, run_id: int):
        run = selectors.training_run_get(user=request.user, run_id=run_id)
        curves, final = selectors.training_run_curves(run=run)
        response = HttpResponse(curves, content_type="image/png")
        if not final:
            response["Cache-Control"] = "no-store"  # it changes every epoch while the run trains
        return response
