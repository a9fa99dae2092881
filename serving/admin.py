"""The admin's list of serving choices: which engine serves which model on which hardware class."""
from django.contrib import admin

from .invalidation import serving_changed
from .models import ServingChoice


@admin.register(ServingChoice)
class ServingChoiceAdmin(admin.ModelAdmin):
    list_display = ["model", "hardware_class", "engine", "version", "benchmark", "updated_at"]
    list_filter = ["hardware_class", "engine"]
    search_fields = ["model__name", "hardware_class", "engine"]
    raw_id_fields = ["model", "version", "benchmark"]

    # An edit here is a serving change like any other: the pools are told.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        serving_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        serving_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        serving_changed()
