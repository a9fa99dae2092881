"""GET /api/training-runs/: each run says which search and generation it evaluates (null for a plain run), read
from the page's prefetched individuals, not one query per run."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.rows import dataset_row, individual_row, search_row, training_run_row

pytestmark = pytest.mark.django_db

URL = "/api/training-runs/"


def test_a_page_of_runs_names_their_search_and_generation_in_a_fixed_number_of_queries(api, alice):
    dataset = dataset_row(owner=alice)
    search = search_row(owner=alice, dataset=dataset)
    plain = training_run_row(owner=alice, dataset=dataset)
    evaluated = training_run_row(owner=alice, dataset=dataset)
    individual_row(search=search, generation=2, number=5, training_run=evaluated)
    individual_row(search=search, generation=3, number=9, training_run=evaluated, elite=True)

    with CaptureQueriesContext(connection) as few:
        body = api(alice).get(URL).json()
    answers = {r["id"]: (r["search"], r["generation"]) for r in body["results"]}
    assert answers == {plain.pk: (None, None), evaluated.pk: (search.pk, 2)}

    for _ in range(5):
        training_run_row(owner=alice, dataset=dataset)
    with CaptureQueriesContext(connection) as more:
        assert len(api(alice).get(URL).json()["results"]) == 7
    assert len(more) == len(few)
