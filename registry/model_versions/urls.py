"""URLs of the model registry under /api/."""
from django.urls import path

from . import apis as model_apis

urlpatterns = [
    path("models/", model_apis.ModelCollectionApi.as_view(), name="model-list"),
    path("models/<int:model_id>/", model_apis.ModelDetailApi.as_view(), name="model-detail"),
    path("models/<int:model_id>/download/", model_apis.ModelDownloadApi.as_view(), name="model-download"),
    path("models/<int:model_id>/convert/", model_apis.ModelConvertApi.as_view(), name="model-convert"),
    path("conversions/<int:conversion_id>/", model_apis.ConversionDetailApi.as_view(), name="conversion-detail"),
]
