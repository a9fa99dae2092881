"""The controller's start of an individual: over the owner's job quota (QUOTA_ACTIVE_JOBS) it is not started
(nothing written, the step does not fail; its trial waits to be adopted by a later step); once started, its
training run is kept while the search exists (409 on delete)."""
import uuid

import pytest

from jobs.models import Job, JobKind, JobState
from searches import controller
from searches.models import Individual, Search
from tests.support.rows import job_row, search_row
from training.models import TrainingRun

pytestmark = pytest.mark.django_db

PARAMS = {"epochs": 1, "imgsz": 64, "batch": 16, "population": 2, "generations": 1,
          "space": {"lr0": [1e-3, 1e-1, "log"]}, "objectives": ["fitness"], "crossover": "sbx",
          "mutation_prob": None, "elitism": 0, "seed": 0, "prune": False, "time_limit_seconds": 600}


def a_running_search(owner, dataset) -> Search:
    return search_row(owner=owner, dataset=dataset, params=PARAMS, study_name=f"test-quota-{uuid.uuid4().hex}")


def test_an_individual_over_the_job_quota_waits_and_leaves_nothing_behind(alice, demo_dataset, settings):
    search = a_running_search(alice, demo_dataset)
    settings.QUOTA_ACTIVE_JOBS = 1
    job_row(owner=alice, kind=JobKind.DIAGNOSTIC, state=JobState.RUNNING, queue="gpu")  # fills it

    assert controller._start(search, 1, 0, {"lr0": 0.01}) is None
    assert not TrainingRun.objects.filter(owner=alice).exists() and not Individual.objects.exists()

    settings.QUOTA_ACTIVE_JOBS = 0  # no limit
    individual = controller._start(search, 1, 0, {"lr0": 0.01})
    assert individual is not None and individual.training_run.job.state == JobState.QUEUED


def test_a_search_under_a_quota_of_one_job_still_trains_one_individual_at_a_time(alice, demo_dataset, settings):
    search = a_running_search(alice, demo_dataset)
    settings.QUOTA_ACTIVE_JOBS = 1  # the search's own job alone would fill it

    first = controller._start(search, 1, 0, {"lr0": 0.01})
    assert first is not None and first.training_run.job.state == JobState.QUEUED
    assert controller._start(search, 2, 1, {"lr0": 0.02}) is None  # the first individual holds the one slot
    assert Individual.objects.count() == 1


def test_an_individuals_training_run_is_kept_until_its_search_is_deleted(alice, api, demo_dataset, settings):
    settings.QUOTA_ACTIVE_JOBS = 0
    search = a_running_search(alice, demo_dataset)
    run = controller._start(search, 1, 0, {"lr0": 0.01}).training_run
    Job.objects.filter(pk=run.job_id).update(state=JobState.SUCCEEDED)
    refused = api(alice).delete(f"/api/training-runs/{run.pk}/")
    assert refused.status_code == 409 and "individual" in refused.json()["detail"]
    Job.objects.filter(pk=search.job_id).update(state=JobState.CANCELLED)
    assert api(alice).delete(f"/api/searches/{search.pk}/").status_code == 204
    assert api(alice).delete(f"/api/training-runs/{run.pk}/").status_code == 204
