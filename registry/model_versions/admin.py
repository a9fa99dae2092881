"""Admin pages for model versions and conversions (read-mostly: files are managed through the API)."""
from django.contrib import admin

from ..models import Conversion, ModelVersion


class ConversionInline(admin.TabularInline):
    model = Conversion
    fk_name = "source"
    extra = 0
    fields = ("target", "options", "job", "result", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "format", "source", "owner", "shared", "task", "parameters", "file_size",
                    "created_at")
    list_filter = ("format", "source", "shared", "task")
    search_fields = ("name", "sha256", "owner__username")
    readonly_fields = ("file", "file_size", "sha256", "created_at", "updated_at", "parent", "dataset", "job")
    raw_id_fields = ("owner",)
    inlines = [ConversionInline]


@admin.register(Conversion)
class ConversionAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "target", "job", "result", "created_at")
    list_filter = ("target",)
    readonly_fields = ("source", "target", "options", "options_key", "job", "result", "created_at", "updated_at")
