"""The search list: each search's best individual so far, fetched with the list (no query per search)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.models import Job, JobKind, JobState
from searches.models import Individual, IndividualState, Search
from training.models import TrainingRun

from .test_controller_quota import PARAMS

pytestmark = pytest.mark.django_db


def a_search_with_individuals(owner, dataset, fitnesses: list[float]) -> Search:
    job = Job.objects.create(kind=JobKind.SEARCH, owner=owner, queue="default", state=JobState.RUNNING)
    search = Search.objects.create(owner=owner, job=job, dataset=dataset, preset="yolov8n", params=PARAMS,
                                   study_name=f"test-list-{job.pk}")
    for number, fitness in enumerate(fitnesses):
        run_job = Job.objects.create(kind=JobKind.TRAINING, owner=owner, queue="gpu", state=JobState.SUCCEEDED)
        run = TrainingRun.objects.create(owner=owner, job=run_job, dataset=dataset, preset="yolov8n", params={})
        Individual.objects.create(search=search, generation=1, number=number, trial_id=number,
                                  hyperparameters={"lr0": 0.01}, state=IndividualState.SUCCEEDED, fitness=fitness,
                                  training_run=run)
    return search


def listed(client) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/searches/")
    assert response.status_code == 200
    return {row["id"]: row for row in response.json()["results"]}, len(queries)


def test_the_list_shows_each_searchs_best_so_far_in_a_constant_number_of_queries(alice, api, demo_dataset):
    client = api(alice)
    first = a_search_with_individuals(alice, demo_dataset, [0.2, 0.5, 0.3])
    rows, one_search = listed(client)
    assert rows[first.pk]["best"]["fitness"] == 0.5 and rows[first.pk]["best"]["job_state"] == "SUCCEEDED"

    second = a_search_with_individuals(alice, demo_dataset, [0.1])
    empty = a_search_with_individuals(alice, demo_dataset, [])
    rows, three_searches = listed(client)
    assert rows[second.pk]["best"]["fitness"] == 0.1 and rows[empty.pk]["best"] is None
    assert three_searches == one_search
