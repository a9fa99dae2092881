"""Role and ownership checks shared by every app's APIs."""
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


class IsOwnerOrAdmin(BasePermission):
    """Object-level: changes only by the object's owner or an admin."""

    message = "Only the owner or an admin may change this."

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return request.user.is_platform_admin or getattr(obj, "owner_id", None) == request.user.id
