"""Admin pages for reports (read-only: reports are made through the API) with links to both views."""
from django.contrib import admin
from django.utils.html import format_html

from .models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "subject_kind", "subject_id", "baseline_kind", "baseline_id", "owner", "shared",
                    "state", "views", "created_at")
    list_filter = ("subject_kind", "shared")
    search_fields = ("title", "owner__username")
    readonly_fields = ("owner", "job", "subject_kind", "subject_id", "baseline_kind", "baseline_id", "snapshot",
                       "rendered_at", "render_seconds", "created_at", "updated_at")

    @admin.display(description="state")
    def state(self, report):
        return report.job.state

    @admin.display(description="views")
    def views(self, report):
        return format_html('<a href="/reports/{}/">technical</a> · <a href="/reports/{}/simple/">simple</a>',
                           report.pk, report.pk)
