"""Role checks shared by every app's APIs (ownership: accounts/visibility.py)."""
from django.apps import apps
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .visibility import visible_to

# The rows behind each object route (its path segment after /api/): app label, model, owner field. A viewer's write
# on a row they cannot see answers 404 like any other request on it, before the role's 403 (docs/security.md);
# tests/test_security_matrix.py fails for a route missing here.
OBJECT_ROUTES = {
    "datasets": ("registry", "Dataset", "owner"),
    "models": ("registry", "ModelVersion", "owner"),
    "conversions": ("registry", "Conversion", "job__owner"),
    "jobs": ("jobs", "Job", "owner"),
    "training-runs": ("training", "TrainingRun", "owner"),
    "benchmarks": ("benchmarks", "BenchmarkRun", "owner"),
    "searches": ("searches", "Search", "owner"),
    "reports": ("reports", "Report", "owner"),
}


class IsPlatformAdmin(BasePermission):
    message = "Only admins may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_platform_admin)


class CanWriteOrReadOnly(BasePermission):
    """Anyone signed in reads; only engineers and admins change things or start jobs."""

    message = "Viewers may read but not change anything or start jobs."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or request.user.can_write:
            return True
        _not_found_unless_visible(request, view)
        return False


def _not_found_unless_visible(request, view) -> None:
    """404 when the request names an object (an id in the URL) that the user cannot see."""
    ids = [value for value in getattr(view, "kwargs", {}).values() if isinstance(value, int)]
    route = OBJECT_ROUTES.get(request.path.split("/")[2] if request.path.count("/") > 2 else "")
    if not ids or route is None:
        return
    label, model, owner_field = route
    rows = visible_to(apps.get_model(label, model).objects.all(), request.user, owner_field=owner_field)
    if not rows.filter(pk=ids[0]).exists():
        raise NotFound("Not found.")

