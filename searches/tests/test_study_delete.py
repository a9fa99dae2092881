"""Deleting a search deletes its Optuna study; a study that was never created (cancelled while queued) is fine."""
import optuna
import pytest

from searches import study

pytestmark = pytest.mark.django_db(transaction=True)  # Optuna writes through its own connection

PARAMS = {"epochs": 1, "population": 2, "crossover": "sbx", "mutation_prob": None, "seed": 0,
          "objectives": ["fitness"]}


def test_the_study_of_a_deleted_search_is_deleted_and_a_missing_one_is_no_error():
    study.study_open(name="test-study-delete", params=PARAMS, create=True)
    study.study_delete(name="test-study-delete")
    with pytest.raises(KeyError):
        optuna.load_study(study_name="test-study-delete", storage=study.search_storage())
    study.study_delete(name="test-study-delete")
    study.study_delete(name="")
