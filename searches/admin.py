"""Admin pages for searches: the search, its job's state and progress, and its individuals inline."""
from django.contrib import admin

from .models import Individual, Search


class IndividualInline(admin.TabularInline):
    model = Individual
    extra = 0
    can_delete = False
    fields = ["generation", "number", "state", "fitness", "latency_ms", "elite", "pruned", "pruned_at_epoch",
              "training_run", "hyperparameters", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Search)
class SearchAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "dataset", "state", "generation_of", "progress", "best_model", "created_at"]
    list_filter = ["job__state"]
    search_fields = ["owner__username", "dataset__name", "study_name"]
    list_select_related = ["owner", "dataset", "job", "best_model"]
    readonly_fields = ["owner", "job", "dataset", "model", "preset", "params", "study_name", "generation", "best",
                       "best_model", "pareto", "state", "progress", "created_at", "updated_at"]
    fields = readonly_fields
    inlines = [IndividualInline]

    @admin.display(description="state")
    def state(self, obj):
        return obj.job.state

    @admin.display(description="progress")
    def progress(self, obj):
        return f"{obj.job.progress:.0%} {obj.job.progress_message}"

    @admin.display(description="generation")
    def generation_of(self, obj):
        return f"{obj.generation}/{obj.generations}"
