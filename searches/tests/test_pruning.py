"""Pruning: an individual whose per-epoch fitness falls clearly behind its finished peers at the same epoch is
stopped (its job's cancel requested) and recorded as pruned with that epoch; Optuna's pruner decides."""
import uuid

import pytest

from jobs.models import Job, JobState
from searches import study
from searches.models import Individual
from searches.space import space_distributions
from tests.support.rows import individual_row, search_row, training_run_row
from training.models import TrainingRun
from training.signals import epoch_ended

pytestmark = [pytest.mark.django_db(transaction=True),  # Optuna writes through its own connection
              pytest.mark.usefixtures("end_workerless_jobs_after_the_test")]

SPACE = {"lr0": [1e-3, 1e-1, "log"]}
PARAMS = {"epochs": 5, "imgsz": 64, "batch": 16, "population": 3, "generations": 1, "space": SPACE,
          "objectives": ["fitness"], "latency_engine": "onnxruntime-cpu", "crossover": "sbx", "mutation_prob": None,
          "elitism": 0, "seed": 0, "prune": True, "time_limit_seconds": 600}


def individual_training(search, opened, owner, dataset):
    """An individual whose training job runs with no worker and no Celery message, so receivers are exercised
    without one (no heartbeat while the test runs; conftest.py makes it stale afterwards, so the reaper ends it)."""
    trial = opened.ask(space_distributions(SPACE))
    run = training_run_row(owner=owner, dataset=dataset, state=JobState.RUNNING, params={"epochs": 5})
    return individual_row(search=search, number=trial.number, trial_id=trial._trial_id,
                          hyperparameters=trial.params, training_run=run)


def test_an_individual_far_behind_its_peers_at_the_same_epoch_is_pruned(alice, demo_dataset):
    search = search_row(owner=alice, dataset=demo_dataset, params=PARAMS, study_name=f"test-pruning-{uuid.uuid4().hex}")
    opened = study.study_open(name=search.study_name, params=PARAMS, create=True)
    for peer_fitness in (0.5, 0.6):  # two finished peers with their per-epoch values
        trial = opened.ask(space_distributions(SPACE))
        for epoch in (1, 2, 3):
            trial.report(peer_fitness * epoch / 3, epoch)
        opened.tell(trial, peer_fitness)
    weak = individual_training(search, opened, alice, demo_dataset)
    strong = individual_training(search, opened, alice, demo_dataset)

    def end_epoch(individual, epoch, map50_95):
        outcomes = epoch_ended.send_robust(sender=TrainingRun, run=individual.training_run, epoch=epoch,
                                           values={"map50": map50_95, "map50_95": map50_95})
        assert not [o for _, o in outcomes if isinstance(o, Exception)], outcomes

    end_epoch(weak, 1, 0.0)  # nothing is pruned in the first half of training (5 epochs: epochs 1 and 2)
    end_epoch(weak, 2, 0.0)
    assert not Individual.objects.get(pk=weak.pk).pruned
    end_epoch(strong, 3, 0.7)  # ahead of both peers (0.5, 0.6 at epoch 3)
    end_epoch(weak, 3, 0.0)
    weak.refresh_from_db()
    assert weak.pruned and weak.pruned_at_epoch == 3
    assert Job.objects.get(pk=weak.training_run.job_id).cancel_requested
    strong.refresh_from_db()
    assert not strong.pruned and not Job.objects.get(pk=strong.training_run.job_id).cancel_requested
    frozen = opened._storage.get_trial(weak.trial_id)
    assert frozen.intermediate_values == {1: 0.0, 2: 0.0, 3: 0.0}
