"""URLs of benchmarks under /api/ (a model's serving engine is serving/urls.py)."""
from django.urls import path

from . import apis

urlpatterns = [
    path("benchmarks/", apis.BenchmarkListStartApi.as_view(), name="benchmark-list"),
    path("benchmarks/<int:run_id>/", apis.BenchmarkDetailApi.as_view(), name="benchmark-detail"),
    path("benchmarks/<int:run_id>/results.csv", apis.BenchmarkResultsCsvApi.as_view(), name="benchmark-results-csv"),
    path("benchmarks/<int:run_id>/latency.png", apis.BenchmarkLatencyChartApi.as_view(), name="benchmark-latency"),
]
