"""URLs of the reports API under /api/ (the HTML views are in html_urls.py, under /reports/)."""
from django.urls import path

from . import apis

urlpatterns = [
    path("reports/", apis.ReportListCreateApi.as_view(), name="report-list"),
    path("reports/<int:report_id>/", apis.ReportDetailApi.as_view(), name="report-detail"),
    path("reports/<int:report_id>/report.json", apis.ReportJsonApi.as_view(), name="report-json"),
    path("reports/<int:report_id>/tables.zip", apis.ReportTablesZipApi.as_view(), name="report-tables"),
    path("reports/<int:report_id>/report.pdf", apis.ReportPdfApi.as_view(), name="report-pdf"),
]
