"""The one visibility rule for owned objects (datasets, models): the owner, admins, and everyone when shared."""
from django.db.models import Q, QuerySet


def visible_to(queryset: QuerySet, user) -> QuerySet:
    if getattr(user, "is_platform_admin", False):
        return queryset
    return queryset.filter(Q(owner=user) | Q(shared=True))
