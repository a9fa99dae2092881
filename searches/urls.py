from django.urls import path

from . import apis

urlpatterns = [
    path("searches/", apis.SearchListStartApi.as_view(), name="search-list"),
    path("searches/<int:search_id>/", apis.SearchDetailApi.as_view(), name="search-detail"),
    path("searches/<int:search_id>/cancel/", apis.SearchCancelApi.as_view(), name="search-cancel"),
    path("searches/<int:search_id>/individuals.csv", apis.SearchIndividualsCsvApi.as_view(),
         name="search-individuals-csv"),
    path("searches/<int:search_id>/progress.png", apis.SearchProgressPngApi.as_view(), name="search-progress"),
    path("searches/<int:search_id>/pareto.png", apis.SearchParetoPngApi.as_view(), name="search-pareto"),
    path("searches/<int:search_id>/best_hyperparameters.yaml", apis.SearchBestHyperparametersApi.as_view(),
         name="search-best-hyperparameters"),
]
