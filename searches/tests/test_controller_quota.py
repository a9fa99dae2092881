"""The controller and the owner's job quota: an individual that would go over QUOTA_ACTIVE_JOBS is not started
(nothing written, the step does not fail); its trial waits to be adopted by a later step."""
import pytest

from jobs.models import Job, JobKind, JobState
from searches import controller
from searches.models import Individual, Search
from training.models import TrainingRun

pytestmark = pytest.mark.django_db

PARAMS = {"epochs": 1, "imgsz": 64, "batch": 16, "population": 2, "generations": 1,
          "space": {"lr0": [1e-3, 1e-1, "log"]}, "objectives": ["fitness"], "crossover": "sbx",
          "mutation_prob": None, "elitism": 0, "seed": 0, "prune": False, "time_limit_seconds": 600}


def a_running_search(owner, dataset) -> Search:
    job = Job.objects.create(kind=JobKind.SEARCH, owner=owner, queue="default", state=JobState.RUNNING)
    return Search.objects.create(owner=owner, job=job, dataset=dataset, preset="yolov8n", params=PARAMS,
                                 study_name=f"test-quota-{job.pk}")


def test_an_individual_over_the_job_quota_waits_and_leaves_nothing_behind(alice, demo_dataset, settings):
    search = a_running_search(alice, demo_dataset)
    settings.QUOTA_ACTIVE_JOBS = 1  # the search's own job fills it

    assert controller._start(search, 1, 0, {"lr0": 0.01}) is None
    assert not TrainingRun.objects.filter(owner=alice).exists() and not Individual.objects.exists()

    settings.QUOTA_ACTIVE_JOBS = 0  # no limit
    individual = controller._start(search, 1, 0, {"lr0": 0.01})
    assert individual is not None and individual.training_run.job.state == JobState.QUEUED
