"""Admin pages for training runs: the run, its job's state and progress, and its epochs inline."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import TrainingEpoch, TrainingRun


class TrainingEpochInline(admin.TabularInline):
    model = TrainingEpoch
    extra = 0
    can_delete = False
    fields = ["epoch", "box_loss", "cls_loss", "dfl_loss", "precision", "recall", "map50", "map50_95", "lr", "seconds"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "dataset", "start", "state", "progress", "device", "result_model", "created_at"]
    list_filter = ["job__state", "preset", "device"]
    search_fields = ["name", "owner__username", "dataset__name"]
    list_select_related = ["owner", "dataset", "job", "parent_model", "result_model"]
    readonly_fields = ["owner", "job", "dataset", "parent_model", "preset", "params", "result_model", "artifacts",
                       "final_metrics", "device", "worker_pid", "state", "progress", "curves", "created_at",
                       "updated_at"]
    fields = ["name", *readonly_fields]
    inlines = [TrainingEpochInline]

    @admin.display(description="start")
    def start(self, run):
        return run.start_label

    @admin.display(description="state", ordering="job__state")
    def state(self, run):
        return run.job.state

    @admin.display(description="progress")
    def progress(self, run):
        job = run.job
        eta = f", ETA {job.eta_seconds:.0f} s" if job.eta_seconds is not None and not job.is_terminal else ""
        return f"{job.progress:.0%} {job.progress_message}{eta}".strip()

    @admin.display(description="curves")
    def curves(self, run):
        url = reverse("training-run-curves", args=[run.pk])
        return format_html('<a href="{}"><img src="{}" alt="training curves" style="max-width: 800px"></a>', url, url)

    def has_add_permission(self, request):
        return False  # runs start through the API, which validates and queues them
