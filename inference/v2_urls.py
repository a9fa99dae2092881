"""Open Inference Protocol (KServe v2) routes, included under /v2/ (beside /api/, where Triton clients expect them);
the server metadata, `GET /v2`, is in config/urls.py."""
from django.urls import path

from .v2_apis import InferApi, ModelMetadataApi, ModelReadyApi, ServerLiveApi, ServerReadyApi

urlpatterns = [
    path("health/live", ServerLiveApi.as_view(), name="v2-live"),
    path("health/ready", ServerReadyApi.as_view(), name="v2-ready"),
    path("models/<str:name>", ModelMetadataApi.as_view(), name="v2-model-metadata"),
    path("models/<str:name>/ready", ModelReadyApi.as_view(), name="v2-model-ready"),
    path("models/<str:name>/infer", InferApi.as_view(), name="v2-infer"),
    path("models/<str:name>/versions/<str:version>", ModelMetadataApi.as_view(), name="v2-version-metadata"),
    path("models/<str:name>/versions/<str:version>/ready", ModelReadyApi.as_view(), name="v2-version-ready"),
    path("models/<str:name>/versions/<str:version>/infer", InferApi.as_view(), name="v2-version-infer"),
]
