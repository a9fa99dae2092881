"""Two controller steps of one search never run at once, however long one takes: a step over a population of 100
that outlasts the lock's expiry keeps the lock, and the generation is filled exactly once. A lost latency
measurement is re-sent a bounded number of times, then its individual fails saying so."""
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from jobs.models import Job, JobState
from searches import controller, step_lock, study
from searches.models import Individual, IndividualState
from tests.support.rows import individual_row, search_row, training_run_row

PARAMS = {"epochs": 1, "imgsz": 64, "batch": 16, "population": 100, "generations": 2,
          "space": {"lr0": [1e-3, 1e-1, "log"]}, "objectives": ["fitness"], "crossover": "sbx",
          "mutation_prob": None, "elitism": 0, "seed": 0, "prune": False, "time_limit_seconds": 600,
          "seed_baseline": False}


def _slow_start(**kwargs):
    time.sleep(0.03)  # 100 individuals (and Optuna's asks): a pass of many seconds, past the lock's 1 s expiry
    return None  # no training run: nothing is queued for a worker


@pytest.mark.django_db(transaction=True)
def test_a_step_longer_than_the_lock_expiry_keeps_the_lock_and_fills_the_generation_once(alice, demo_dataset,
                                                                                          monkeypatch, settings):
    settings.QUOTA_ACTIVE_JOBS = 0
    monkeypatch.setattr(step_lock, "LOCK_SECONDS", 1)
    monkeypatch.setattr(controller, "training_run_start", _slow_start)
    monkeypatch.setattr(controller, "MAX_PASSES", 1)
    search = search_row(owner=alice, dataset=demo_dataset, params=PARAMS,
                        study_name=f"test-step-lock-{uuid.uuid4().hex}")
    job = search.job
    study.study_open(name=search.study_name, params=search.params, create=True)
    outcomes = {}

    def step(name):
        try:
            outcomes[name] = controller.search_step(job_id=job.pk)
        finally:
            connection.close()

    first = threading.Thread(target=step, args=("first",))
    first.start()
    time.sleep(1.8)  # past the 1 s expiry: a fixed-expiry lock would be free by now
    second = threading.Thread(target=step, args=("second",))
    second.start()
    for thread in (first, second):
        thread.join(120)
    Job.objects.filter(pk=job.pk).update(state=JobState.CANCELLED)  # committed: no worker would end it

    assert outcomes == {"first": "moved", "second": "busy"}
    assert Individual.objects.filter(search=search, generation=1).count() == 100


@pytest.mark.django_db
def test_a_lost_latency_measurement_is_resent_a_bounded_number_of_times(alice, demo_dataset, settings,
                                                                         monkeypatch):
    settings.SEARCH_LATENCY_RESEND_SECONDS = 60
    settings.SEARCH_LATENCY_RESENDS = 2
    sent = []
    monkeypatch.setattr(controller, "_measure_later", sent.append)
    search = search_row(owner=alice, dataset=demo_dataset, params={**PARAMS, "objectives": ["fitness", "latency"]},
                        study_name="latency")
    run = training_run_row(owner=alice, dataset=demo_dataset)
    run_job = run.job
    Job.objects.filter(pk=run_job.pk).update(finished_at=timezone.now() - timedelta(seconds=100))
    individual = individual_row(search=search, training_run=run, hyperparameters={"lr0": 0.01},
                                state=IndividualState.MEASURING,
                                latency_requested_at=timezone.now() - timedelta(seconds=61))

    controller._collect(search)  # 100 s after training: within 3 x 60 s, asked again
    assert sent == [individual.pk]

    Job.objects.filter(pk=run_job.pk).update(finished_at=timezone.now() - timedelta(seconds=200))
    Individual.objects.filter(pk=individual.pk).update(latency_requested_at=timezone.now() - timedelta(seconds=61))
    controller._collect(search)  # past 3 x 60 s: given up
    individual.refresh_from_db()
    assert sent == [individual.pk] and individual.state == IndividualState.FAILED
    assert "lost 3 times (SEARCH_LATENCY_RESENDS=2)" in individual.error
