"""Inference routes, included under /api/."""
from django.urls import path

from .apis import HealthApi, PredictApi

urlpatterns = [
    path("inference/health/", HealthApi.as_view(), name="inference-health"),
    path("inference/<int:model_id>/predict/", PredictApi.as_view(), name="inference-predict"),
]
