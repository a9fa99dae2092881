"""Admin pages for benchmarks: the run, its job's state, the selection, the result table inline and the chart."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import BenchmarkResult, BenchmarkRun


class BenchmarkResultInline(admin.TabularInline):
    model = BenchmarkResult
    extra = 0
    can_delete = False
    fields = ["engine", "precision", "batch_size", "status", "reason", "source_model", "load_s", "cold_ms", "p50_ms",
              "p95_ms", "p99_ms", "p50_ms_per_image", "fps", "peak_rss_mb", "gpu_mem_peak_mb", "gpu_util_mean",
              "cpu_util", "map50", "map50_95", "map_drop"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BenchmarkRun)
class BenchmarkRunAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "model", "dataset", "state", "progress", "winner", "applied", "created_at"]
    list_filter = ["job__state", "applied"]
    search_fields = ["model__name", "owner__username"]
    list_select_related = ["owner", "model", "dataset", "job"]
    readonly_fields = ["owner", "job", "model", "dataset", "params", "state", "progress", "winner", "reason",
                       "applied", "selected", "results", "chart", "created_at", "updated_at"]
    fields = readonly_fields
    inlines = [BenchmarkResultInline]

    @admin.display(description="state", ordering="job__state")
    def state(self, run):
        return run.job.state

    @admin.display(description="progress")
    def progress(self, run):
        return f"{run.job.progress:.0%} {run.job.progress_message}".strip()

    @admin.display(description="selected")
    def winner(self, run):
        selected = run.selected or {}
        return selected.get("candidate") or ("none passed" if selected else "")

    @admin.display(description="why")
    def reason(self, run):
        return (run.selected or {}).get("reason", "")

    @admin.display(description="latency per image")
    def chart(self, run):
        url = reverse("benchmark-latency", args=[run.pk])
        return format_html('<a href="{}"><img src="{}" alt="latency per engine" style="max-width: 900px"></a>', url, url)

    def has_add_permission(self, request):
        return False  # runs start through the API, which validates and queues them
