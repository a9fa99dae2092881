"""Thin DRF views for searches: start and list, detail, delete, cancel, the individuals as CSV, the progress and
Pareto pictures, and the best hyperparameters as YAML (usable as the `hyperparameters` of a training run)."""
import csv
import io

import yaml
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanWriteOrReadOnly
from core.errors import Conflict
from core.pagination import paginated_response
from registry.datasets.selectors import dataset_get
from registry.model_versions.selectors import model_get_visible

from . import plots, selectors, services
from .serializers import (IndividualSerializer, SearchDetailSerializer, SearchListSerializer, SearchStartSerializer)
from .space import RUN_GENES, genome_run_arguments

CSV_COLUMNS = ["id", "generation", "number", "state", "fitness", "latency_ms", "elite", "pruned", "pruned_at_epoch",
               "training_run", "job"]


class SearchListStartApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=SearchListSerializer(many=True))
    def get(self, request):
        return paginated_response(request=request, view=self, queryset=selectors.search_list(user=request.user),
                                  serializer_class=SearchListSerializer)

    @extend_schema(request=SearchStartSerializer, responses={201: SearchDetailSerializer})
    def post(self, request):
        serializer = SearchStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        dataset = dataset_get(user=request.user, dataset_id=data.pop("dataset"))
        model_id = data.pop("model")
        model = model_get_visible(user=request.user, model_id=model_id) if model_id is not None else None
        preset = data.pop("preset")
        search = services.search_start(owner=request.user, dataset=dataset, model=model, preset=preset, params=data)
        search = selectors.search_get(user=request.user, search_id=search.pk)
        return Response(SearchDetailSerializer(search).data, status=status.HTTP_201_CREATED)


class SearchDetailApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(responses=SearchDetailSerializer)
    def get(self, request, search_id: int):
        search = selectors.search_get(user=request.user, search_id=search_id)
        return Response(SearchDetailSerializer(search).data)

    @extend_schema(responses={204: None})
    def delete(self, request, search_id: int):
        search = selectors.search_get(user=request.user, search_id=search_id)
        services.search_delete(user=request.user, search=search)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SearchCancelApi(APIView):
    permission_classes = [CanWriteOrReadOnly]

    @extend_schema(request=None, responses=SearchDetailSerializer)
    def post(self, request, search_id: int):
        search = selectors.search_get(user=request.user, search_id=search_id)
        search = services.search_cancel(user=request.user, search=search)
        return Response(SearchDetailSerializer(selectors.search_get(user=request.user, search_id=search.pk)).data)


class SearchIndividualsCsvApi(APIView):
    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request, search_id: int):
        search = selectors.search_get(user=request.user, search_id=search_id)
        individuals = IndividualSerializer(selectors.search_individuals(search=search), many=True).data
        genes = sorted(search.params.get("space", {}))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # The genome before the error, and the error on one line: a failed individual's error is often a multi-line
        # traceback, and a reader that goes line by line (grep, cut, a quick script) lost the genes behind it.
        writer.writerow([*CSV_COLUMNS, *genes, "error"])
        for row in individuals:
            writer.writerow([*("" if row[name] is None else row[name] for name in CSV_COLUMNS),
                             *(row["hyperparameters"].get(gene, "") for gene in genes),
                             " | ".join(line.strip() for line in (row["error"] or "").splitlines() if line.strip())])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="search-{search.pk}-individuals.csv"'
        return response


def _png(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "no-store"  # it changes with every individual
    return response


class SearchProgressPngApi(APIView):
    @extend_schema(responses={(200, "image/png"): bytes})
    def get(self, request, search_id: int):
        search = selectors.search_get(user=request.user, search_id=search_id)
        return _png(plots.progress_png(individuals=list(selectors.search_individuals(search=search)),
                                       generations=search.generations,
                                       title=f"search {search.pk}: fitness per generation"))


class SearchParetoPngApi(APIView):
    @extend_schema(responses={(200, "image/png"): bytes})
    def get(self, request, search_id: int):
        search = selectors.search_get(user=request.user, search_id=search_id)
        return _png(plots.pareto_png(individuals=list(selectors.search_individuals(search=search)),
                                     front_ids=list(search.pareto or []),
                                     title=f"search {search.pk}: fitness against latency"))


class SearchBestHyperparametersApi(APIView):
    """The best individual's genes as YAML: the ultralytics hyperparameters as keys (the `hyperparameters` of a
    training run), run genes (imgsz, preset) and provenance as comments."""

    @extend_schema(responses={(200, "application/yaml"): str})
    def get(self, request, search_id: int):
        search = selectors.search_get(user=request.user, search_id=search_id)
        best = selectors.search_best_so_far(search=search)
        if best is None:
            raise Conflict("No individual of this search has succeeded yet.")
        genome = best.hyperparameters
        header = [f"# best hyperparameters of search {search.pk} ({'final' if search.best_id else 'so far'}): "
                  f"generation {best.generation}, trial {best.number}, fitness {best.fitness}",
                  *(f"# {gene}: {genome[gene]}" for gene in RUN_GENES if gene in genome)]
        # What the individual trained with (its genes plus the optimizer they need), not the bare genome: with
        # `optimizer: auto` ultralytics would replace lr0 and momentum and the recipe would not reproduce the run.
        hyperparameters, _, _ = genome_run_arguments(genome, imgsz=search.params["imgsz"], preset=search.preset)
        body = yaml.safe_dump(hyperparameters, sort_keys=True)
        response = HttpResponse("\n".join(header) + "\n" + body, content_type="application/yaml")
        response["Content-Disposition"] = f'attachment; filename="search-{search.pk}-best_hyperparameters.yaml"'
        return response
