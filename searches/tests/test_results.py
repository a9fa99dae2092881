"""The end of a search with two objectives: the Pareto front from Optuna's best_trials, the best the highest
fitness within it, the search job's result; and the front drawn in pareto.png."""
import uuid

import pytest

from jobs.models import JobState
from searches import study
from searches.models import IndividualState
from searches.plots import pareto_png
from searches.results import search_finish
from searches.space import space_distributions
from tests.support.rows import individual_row, search_row

pytestmark = [pytest.mark.django_db(transaction=True),  # Optuna writes through its own connection
              pytest.mark.usefixtures("end_workerless_jobs_after_the_test")]

SPACE = {"lr0": [1e-3, 1e-1, "log"]}
PARAMS = {"epochs": 1, "imgsz": 64, "batch": 16, "population": 4, "generations": 1, "space": SPACE,
          "objectives": ["fitness", "latency"], "latency_engine": "onnxruntime-cpu", "crossover": "blx",
          "mutation_prob": None, "elitism": 0, "seed": 0, "prune": False, "time_limit_seconds": 600}


def test_two_objectives_end_with_a_pareto_front_and_its_highest_fitness_as_the_best(alice, demo_dataset):
    search = search_row(owner=alice, dataset=demo_dataset, params=PARAMS,  # no heartbeat: conftest.py
                        study_name=f"test-results-{uuid.uuid4().hex}")
    job = search.job
    opened = study.study_open(name=search.study_name, params=PARAMS, create=True)
    individuals = {}
    for name, fitness, latency in (("a", 0.5, 10.0), ("b", 0.4, 5.0), ("c", 0.3, 8.0), ("d", 0.5, 12.0)):
        trial = opened.ask(space_distributions(SPACE))
        opened.tell(trial, [fitness, latency])
        individuals[name] = individual_row(
            search=search, number=trial.number, trial_id=trial._trial_id, hyperparameters=trial.params,
            state=IndividualState.SUCCEEDED, told=True, fitness=fitness, latency_ms=latency)

    search_finish(search=search)

    search.refresh_from_db()
    assert set(search.pareto) == {individuals["a"].pk, individuals["b"].pk}  # c and d are dominated
    assert search.best_id == individuals["a"].pk
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result["best_fitness"] == 0.5
    assert job.result["best_latency_ms"] == 10.0
    png = pareto_png(individuals=list(search.individuals.all()), front_ids=search.pareto, title="t")
    assert png.startswith(b"\x89PNG")
