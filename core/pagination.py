"""Paginated list answers (limit/offset, as everywhere in the API) with bounded, validated parameters.

DRF's LimitOffsetPagination silently ignores a bad `limit` and passes any `offset` on to the database, where a
number over 2**63 is an OverflowError (a 500). Here both are checked: `limit` 1..MAX_PAGE_SIZE, `offset`
0..MAX_PAGE_OFFSET, anything else a 400 naming the parameter.
"""
from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


def _bounded_int(request, name: str, *, default: int, minimum: int, maximum: int, setting: str) -> int:
    raw = request.query_params.get(name)
    if raw is None:  # absent; an empty `?offset=` is not an integer, as the schema says (a 400 below)
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"must be an integer, got {raw[:40]!r}."]}) from None
    if not minimum <= value <= maximum:
        raise ValidationError({name: [f"must be between {minimum} and {maximum} ({setting}); got {raw[:40]}."]})
    return value


class PlatformPagination(LimitOffsetPagination):
    """limit/offset with a maximum page size (MAX_PAGE_SIZE) and 400 for values out of range."""

    @property
    def default_limit(self):
        return min(settings.REST_FRAMEWORK.get("PAGE_SIZE") or 50, settings.MAX_PAGE_SIZE)

    @property
    def max_limit(self):
        return settings.MAX_PAGE_SIZE

    def get_limit(self, request):
        return _bounded_int(request, self.limit_query_param, default=self.default_limit, minimum=1,
                            maximum=self.max_limit, setting="MAX_PAGE_SIZE")

    def get_offset(self, request):
        return _bounded_int(request, self.offset_query_param, default=0, minimum=0,
                            maximum=settings.MAX_PAGE_OFFSET, setting="MAX_PAGE_OFFSET")

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(minimum=1, maximum=settings.MAX_PAGE_SIZE)
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"].update(minimum=0, maximum=settings.MAX_PAGE_OFFSET)
        return parameters


def paginated_response(*, request, view, queryset, serializer_class):
    paginator = PlatformPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
