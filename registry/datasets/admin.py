"""Admin pages for datasets: the list with sizes and owners, and the validation report read-only."""
import json

from django.contrib import admin, messages
from django.utils.html import format_html

from core.errors import Conflict
from ..models import Dataset

from .services import dataset_delete


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "owner", "num_images", "num_instances", "shared", "created_at"]
    list_filter = ["shared", "owner", "created_at"]
    search_fields = ["name", "sha256", "owner__username"]
    ordering = ["name", "-version"]
    readonly_fields = ["name", "version", "owner", "sha256", "archive", "archive_sha256", "size_bytes", "class_names",
                       "num_images", "num_instances", "pretty_report", "created_at", "updated_at"]
    exclude = ["report", "root"]

    @admin.display(description="report")
    def pretty_report(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.report, indent=2))

    def has_add_permission(self, request):  # datasets enter through the validating upload only
        return False

    def delete_model(self, request, obj):  # through the service: files go too, and rows that use it block it
        try:
            dataset_delete(user=request.user, dataset=obj)
        except Conflict as exc:
            self.message_user(request, str(exc), level=messages.ERROR)

    def delete_queryset(self, request, queryset):
        for dataset in queryset:
            self.delete_model(request, dataset)
