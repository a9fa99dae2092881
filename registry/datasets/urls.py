"""Dataset endpoints under /api/datasets/."""
from django.urls import path

from . import apis

urlpatterns = [
    path("datasets/", apis.DatasetListCreateApi.as_view(), name="dataset-list"),
    path("datasets/<int:dataset_id>/", apis.DatasetDetailApi.as_view(), name="dataset-detail"),
    path("datasets/<int:dataset_id>/download/", apis.DatasetDownloadApi.as_view(), name="dataset-download"),
]
