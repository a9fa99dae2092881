"""Django admin for users: the role drives the staff flags; a password reset or a deactivation revokes tokens."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Role, User
from .services import user_tokens_revoke


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "role", "is_active", "last_login", "date_joined"]
    list_filter = ["role", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("Platform", {"fields": ["role"]}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Platform", {"fields": ["role"]}),)

    def save_model(self, request, obj, form, change):
        # The role decides Django admin access: only platform admins are staff.
        obj.is_staff = obj.is_superuser = obj.role == Role.ADMIN
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_tokens_revoke(user=obj)

    def user_change_password(self, request, id, form_url=""):
        # The admin's "change password" form saves the user itself; a successful POST ends in a redirect.
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                user_tokens_revoke(user=user)
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only: a token's secret exists only in the answer that created it; revoking is the owner's API call."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = list_display
    exclude = ["digest"]

    def has_add_permission(self, request):
        return False
