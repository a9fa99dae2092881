"""URL map: /api/ (REST), /v2/ (the Open Inference Protocol), /admin/, schema and offline docs."""
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.http_errors import api_not_found
from inference.metrics import metrics_view
from inference.v2_apis import ServerMetadataApi

from .health import HealthApi, LiveApi

admin.site.site_header = "Vision model platform"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("api/health/", HealthApi.as_view(), name="health"),
    path("api/health/live/", LiveApi.as_view(), name="health-live"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/", include("accounts.urls")),
    path("api/", include("jobs.urls")),
    path("api/", include("hosts.urls")),
    path("api/", include("training.urls")),
    path("api/", include("searches.urls")),
    path("api/", include("registry.datasets.urls")),
    path("api/", include("benchmarks.urls")),
    path("api/", include("serving.urls")),  # before the registry: it adds /api/models/{id}/serving/
    path("api/", include("registry.model_versions.urls")),
    path("api/", include("inference.urls")),
    path("api/", include("reports.urls")),
    path("reports/", include("reports.html_urls")),
    path("v2", ServerMetadataApi.as_view(), name="v2-server-metadata"),  # no slash: where v2 clients ask
    path("v2/", include("inference.v2_urls")),  # the Open Inference Protocol (KServe v2), where its clients look
    # last: unknown API paths answer JSON 404 ([\s\S]: a path may hold an encoded newline, which `.` skips)
    re_path(r"^api/(?P<unmatched>[\s\S]*)\Z", api_not_found),
]
