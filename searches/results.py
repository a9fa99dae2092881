"""The end of a search: the best individual, the Pareto front, the model version it points at, the job's result.

The best individual's training run already registered its weights as a model version (name `search-<id>`, with
the dataset, the hyperparameters and the training run as lineage). The search does not register a copy: it points
`Search.best_model` at that version and adds the search to its lineage (`metadata["search"]`: search id,
generation, trial, fitness, latency, genome).
"""
import logging

from django.db import transaction
from django.utils import timezone

from jobs import lifecycle
from registry.models import ModelVersion

from . import study
from .models import Individual, IndividualState, Search
from .selectors import search_evaluated

log = logging.getLogger(__name__)


def search_pareto_front(*, search: Search) -> list[Individual]:
    """Two objectives: the non-dominated individuals (Optuna's `best_trials`), elite copies folded into their
    originals. One objective: the best individual alone."""
    if not search.multi_objective:
        best = search_evaluated(search=search).order_by("-fitness", "number").first()
        return [best] if best else []
    opened = study.study_open(name=search.study_name, params=search.params)
    numbers = {trial.number for trial in opened.best_trials}
    front = {}
    for individual in search.individuals.filter(number__in=numbers, state=IndividualState.SUCCEEDED):
        original = individual.elite_of or individual
        front[original.pk] = original
    return sorted(front.values(), key=lambda i: (-(i.fitness or 0.0), i.latency_ms or 0.0, i.number))


def search_best(*, search: Search) -> Individual | None:
    """The highest fitness (within the Pareto front with two objectives); ties go to the earlier trial."""
    front = search_pareto_front(search=search)
    candidates = [i for i in front if i.training_run_id and i.training_run.result_model_id]
    return candidates[0] if candidates else (front[0] if front else None)


def search_finish(*, search: Search) -> None:
    front = search_pareto_front(search=search)
    best = search_best(search=search)
    if best is None:
        Search.objects.filter(pk=search.pk).update(pareto=[], updated_at=timezone.now())
        lifecycle.job_fail(job_id=search.job_id, error="no individual of the search succeeded; see their errors")
        return
    model = best.training_run.result_model if best.training_run_id else None
    with transaction.atomic():
        if model is not None:
            lineage = {"search": search.pk, "generation": best.generation, "trial": best.number,
                       "fitness": best.fitness, "latency_ms": best.latency_ms, "genome": best.hyperparameters}
            model = ModelVersion.objects.select_for_update().get(pk=model.pk)
            model.metadata = {**model.metadata, "search": lineage}
            model.save(update_fields=["metadata", "updated_at"])
        Search.objects.filter(pk=search.pk).update(best=best, best_model=model, pareto=[i.pk for i in front],
                                                   updated_at=timezone.now())
    result = {"search": search.pk, "best_individual": best.pk, "best_trial": best.number,
              "best_fitness": best.fitness, "best_latency_ms": best.latency_ms,
              "best_model": model.pk if model else None, "best_hyperparameters": best.hyperparameters,
              "pareto": [i.pk for i in front], "individuals": search.individuals.count(),
              "trainings": search.individuals.filter(elite=False).count()}
    lifecycle.job_succeed(job_id=search.job_id, result=result)
    log.info("search %s finished: best individual %s (fitness %s)", search.pk, best.number, best.fitness)
