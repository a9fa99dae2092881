"""The report pages for browsers, under /reports/: technical and simple views (session login or a signed link)."""
from django.urls import path

from . import views

urlpatterns = [
    path("<int:report_id>/", views.report_technical, name="report-technical"),
    path("<int:report_id>/simple/", views.report_simple, name="report-simple"),
]
