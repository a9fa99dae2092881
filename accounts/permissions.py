"""Role checks shared by every app's APIs (ownership: accounts/visibility.py)."""
from rest_framework.permissions import SAFE_METHODS, BasePermission


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
        return request.method in SAFE_METHODS or request.user.can_write

