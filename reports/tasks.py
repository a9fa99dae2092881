"""Thin Celery task for reports: `reports.render(job_id)` on the default queue (collecting needs no GPU slot)."""
from jobs.runner import job_task

from .models import Report
from .services import report_build


@job_task("reports.render")
def render(ctx):
    report = Report.objects.select_related("owner").get(job_id=ctx.job_id)
    ctx.progress(0.1, "collecting")
    snapshot = report_build(report=report)
    report.refresh_from_db(fields=["render_seconds"])
    return {"report_id": report.pk, "tables": len(snapshot["tables"]), "plots": len(snapshot["plots"]),
            "render_seconds": report.render_seconds}
