"""Thin DRF views for jobs: list, detail, cancel, the worker probe, and live progress as server-sent events."""
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanWriteOrReadOnly
from core.pagination import paginated_response
from core.parsers import JSONObjectParser

from . import selectors, services
from .models import JobKind
from .serializers import JobFilterSerializer, JobSerializer, ProbeRequestSerializer


class JobListApi(APIView):
    @extend_schema(parameters=[JobFilterSerializer], responses=JobSerializer(many=True))  # enums from the filter
    def get(self, request):
        filters = JobFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = selectors.job_list(user=request.user, **filters.validated_data)
        return paginated_response(request=request, view=self, queryset=jobs, serializer_class=JobSerializer)


class JobDetailApi(APIView):
    @extend_schema(responses=JobSerializer)
    def get(self, request, job_id: int):
        return Response(JobSerializer(selectors.job_get(user=request.user, job_id=job_id)).data)


class JobCancelApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request, job_id: int):
        job = selectors.job_get(user=request.user, job_id=job_id)
        if job.is_terminal:
            return Response({"detail": f"The job already finished ({job.state}); nothing to cancel."},
                            status=status.HTTP_409_CONFLICT)
        job = services.job_cancel(job=job)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class WorkerProbeApi(APIView):
    permission_classes = [CanWriteOrReadOnly]
    parser_classes = [JSONObjectParser]  # a form body that is not a form parsed as empty and probed anyway

    @extend_schema(request=ProbeRequestSerializer, responses={202: JobSerializer})
    def post(self, request):
        serializer = ProbeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        queue = serializer.validated_data["queue"]
        job = services.job_enqueue(kind=JobKind.PROBE, owner=request.user, task_name="jobs.probe", queue=queue,
                                   params={"queue": queue})
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
