"""URLs of serving under /api/."""
from django.urls import path

from . import apis

urlpatterns = [
    path("models/<int:model_id>/serving/", apis.ModelServingApi.as_view(), name="model-serving"),
]
