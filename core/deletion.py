"""The one delete rule: a row that other rows use (a PROTECT foreign key) is not deleted; the API answers 409
naming what uses it. Usage is explicit: every domain row that uses a dataset, a model or a run points at it with
`on_delete=PROTECT`, so a new app takes part by declaring its foreign keys, without registering anywhere.
"""
from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError

from .errors import InUse

MAX_NAMED = 10  # dependents named in the message; the answer's `dependents` list holds the same ones


def describe(obj: Model) -> str:
    """`training run 7`, `model version 12 (demo v2)`: what a person needs to find the row."""
    label = f"{obj._meta.verbose_name} {obj.pk}"
    name, version = getattr(obj, "name", None), getattr(obj, "version", None)
    if isinstance(name, str) and name and version is not None:
        label += f" ({name} v{version})"
    return label


def dependents_of(exc: ProtectedError | RestrictedError) -> list[Model]:
    objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    return sorted(set(objects), key=lambda o: (o._meta.label, o.pk))


def in_use(subject: Model | None, exc: ProtectedError | RestrictedError) -> InUse:
    """The 409 for `subject` (None: not known, "this object"), naming the rows that keep it."""
    found = dependents_of(exc)
    named = [describe(o) for o in found[:MAX_NAMED]]
    more = f" and {len(found) - MAX_NAMED} more" if len(found) > MAX_NAMED else ""
    label = describe(subject) if subject is not None else "this object"
    detail = f"{label[:1].upper()}{label[1:]} is used by {', '.join(named)}{more}; delete those first."
    return InUse(detail, dependents=[{"type": o._meta.model_name, "id": o.pk, "label": describe(o)}
                                     for o in found[:MAX_NAMED]])


def delete_or_conflict(obj: Model, *, subject: Model | None = None) -> None:
    """Delete `obj` (and what cascades from it), or raise a 409 naming the rows that protect it. `subject` is the
    row the user asked to delete when `obj` is its owner in the cascade (a run's job)."""
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise in_use(subject or obj, exc) from None
