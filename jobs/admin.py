from django.contrib import admin
from django.utils.html import format_html

from .models import Job, JobTransition
from .services import job_cancel


class JobTransitionInline(admin.TabularInline):
    model = JobTransition
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "message", "at"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "owner", "queue", "state", "progress_bar", "progress_message", "worker",
                    "created_at", "finished_at"]
    list_filter = ["state", "kind", "queue"]
    search_fields = ["id", "owner__username", "worker", "error", "celery_task_id"]
    readonly_fields = [f.name for f in Job._meta.fields]
    inlines = [JobTransitionInline]
    actions = ["cancel_jobs"]

    @admin.display(description="progress")
    def progress_bar(self, job):
        percent = round(job.progress * 100)
        return format_html('<progress value="{}" max="100" title="{}%"></progress> {}%', percent, percent, percent)

    @admin.action(description="Cancel selected jobs")
    def cancel_jobs(self, request, queryset):
        for job in queryset:
            if not job.is_terminal:
                job_cancel(job=job)

    def has_add_permission(self, request):
        return False
