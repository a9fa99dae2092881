"""The search list: each search's best individual so far, fetched with the list (no query per search)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from searches.models import IndividualState, Search
from tests.support.rows import individual_row, search_row, training_run_row

from .test_controller_quota import PARAMS

pytestmark = pytest.mark.django_db


def a_search_with_individuals(owner, dataset, fitnesses: list[float]) -> Search:
    search = search_row(owner=owner, dataset=dataset, params=PARAMS)
    for number, fitness in enumerate(fitnesses):
        individual_row(search=search, number=number, hyperparameters={"lr0": 0.01}, state=IndividualState.SUCCEEDED,
                       fitness=fitness, training_run=training_run_row(owner=owner, dataset=dataset))
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
