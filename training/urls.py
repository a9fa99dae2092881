from django.urls import path

from . import apis

urlpatterns = [
    path("training-runs/", apis.TrainingRunListStartApi.as_view(), name="training-run-list"),
    path("training-runs/<int:run_id>/", apis.TrainingRunDetailApi.as_view(), name="training-run-detail"),
    path("training-runs/<int:run_id>/metrics.csv", apis.TrainingRunMetricsCsvApi.as_view(),
         name="training-run-metrics-csv"),
    path("training-runs/<int:run_id>/curves.png", apis.TrainingRunCurvesApi.as_view(), name="training-run-curves"),
]
