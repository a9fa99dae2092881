"""Thin DRF views: the registered hosts and their state, for admins and engineers (viewers get 403)."""
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import PlatformPagination

from . import selectors
from .serializers import HostSerializer


class CanSeeHosts(BasePermission):
    message = "Only admins and engineers may see the hosts."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.can_write)


def _context() -> dict:
    processes = selectors.host_processes()
    return {"states": lambda host: selectors.host_state(host, processes)}


class HostListApi(APIView):
    permission_classes = [CanSeeHosts]

    @extend_schema(responses=HostSerializer(many=True))
    def get(self, request):
        paginator = PlatformPagination()
        page = paginator.paginate_queryset(selectors.host_list(), request, view=self)
        return paginator.get_paginated_response(HostSerializer(page, many=True, context=_context()).data)


class HostDetailApi(APIView):
    permission_classes = [CanSeeHosts]

    @extend_schema(responses=HostSerializer)
    def get(self, request, name: str):
        return Response(HostSerializer(selectors.host_get(name=name), context=_context()).data)
