"""The one visibility and ownership rule for owned objects (datasets, models, jobs, runs, and every new app's rows).

Seeing: the owner, admins, and everyone signed in when the row is `shared` (rows without a `shared` field are
private to their owner). Changing or deleting: the owner or an admin, nobody else, even on a shared row.
Selectors answer 404 for rows a user may not see (so others' ids are not confirmed); `check_can_modify` answers
403 for rows a user sees but may not change.
"""
from django.db.models import Model, Q, QuerySet

from core.errors import Forbidden


def _has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


def visible_to(queryset: QuerySet, user, *, owner_field: str = "owner") -> QuerySet:
    """The rows of `queryset` that `user` may see."""
    if getattr(user, "is_platform_admin", False):
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    rule = Q(**{owner_field: user})
    if _has_field(queryset.model, "shared"):
        rule |= Q(shared=True)
    return queryset.filter(rule)


def can_modify(obj: Model, user, *, owner_field: str = "owner") -> bool:
    """Whether `user` may change or delete `obj`: its owner or an admin. `owner_field` may follow relations
    (`job__owner`: a conversion belongs to whoever owns its job)."""
    if getattr(user, "is_platform_admin", False):
        return True
    if not getattr(user, "is_authenticated", False):  # an anonymous pk is None: it must not match a null owner
        return False
    *path, last = owner_field.split("__")
    for name in path:
        obj = getattr(obj, name)
    return getattr(obj, f"{last}_id", None) == user.pk


def check_can_modify(obj: Model, user, *, action: str = "change", owner_field: str = "owner") -> None:
    """403 unless `user` may change `obj` (owner or admin); `action` words the refusal ("delete", "convert")."""
    if not can_modify(obj, user, owner_field=owner_field):
        what = obj._meta.verbose_name
        raise Forbidden(f"Only the owner or an admin may {action} this {what}.")
