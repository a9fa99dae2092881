"""GET /api/training-runs/: each run says which search and generation it evaluates (null for a plain run), read
from the page's prefetched individuals, not one query per run."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.models import JobKind, JobState
from registry.tests.rows import dataset_row, job_row, run_row
from searches.models import Individual, Search

pytestmark = pytest.mark.django_db

URL = "/api/training-runs/"


def test_a_page_of_runs_names_their_search_and_generation_in_a_fixed_number_of_queries(api, alice):
    dataset = dataset_row(alice)
    search = Search.objects.create(owner=alice, job=job_row(alice, kind=JobKind.SEARCH, state=JobState.RUNNING),
                                   dataset=dataset, preset="yolov8n", params={})
    plain = run_row(alice, dataset)
    evaluated = run_row(alice, dataset)
    Individual.objects.create(search=search, generation=2, number=5, trial_id=6, training_run=evaluated)
    Individual.objects.create(search=search, generation=3, number=9, trial_id=10, training_run=evaluated, elite=True)

    with CaptureQueriesContext(connection) as few:
        body = api(alice).get(URL).json()
    answers = {r["id"]: (r["search"], r["generation"]) for r in body["results"]}
    assert answers == {plain.pk: (None, None), evaluated.pk: (search.pk, 2)}

    for _ in range(5):
        run_row(alice, dataset)
    with CaptureQueriesContext(connection) as more:
        assert len(api(alice).get(URL).json()["results"]) == 7
    assert len(more) == len(few)
