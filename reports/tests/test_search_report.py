"""A search report from rows: individuals, generations, best, Pareto front; and the search a run came from."""
import pytest

from reports.snapshot_schema import snapshot_errors
from tests.support.results import evaluated_search_row, report_row

pytestmark = pytest.mark.django_db


def test_a_search_report_has_a_row_per_individual_a_summary_per_generation_and_the_front(alice):
    search = evaluated_search_row(owner=alice)
    snapshot = report_row(owner=alice, subject_kind="search", subject_id=search.pk).snapshot
    assert snapshot_errors(snapshot) == []
    rows = snapshot["tables"]["individuals"]["rows"]
    assert [r["number"] for r in rows] == list(range(6))
    assert rows[1]["lr0"] == pytest.approx(0.02) and rows[2]["error"] == "CUDA out of memory"
    generations = snapshot["tables"]["generations"]["rows"]
    assert [(g["generation"], g["best_fitness"]) for g in generations] == [(1, 0.35), (2, 0.41)]
    assert generations[0]["failed"] == 1 and generations[1]["pruned"] == 1
    assert snapshot["metrics"]["best_fitness"]["value"] == pytest.approx(0.41)
    assert {p["id"] for p in snapshot["plots"]} == {"fitness-per-generation", "pareto-front"}
    front = next(p for p in snapshot["plots"] if p["id"] == "pareto-front")["series"][1]
    assert front["x"] == [30.0, 38.0] and front["y"] == [0.20, 0.41]
    texts = [f["text"] for f in snapshot["summary"]["findings"]]
    assert any(t.startswith("The best is individual #4 (generation 2) with fitness 0.410 at 38.0 ms") for t in texts)
    assert "The best fitness went from 0.350 in generation 1 to 0.410 in generation 2." in texts
    assert "1 individual(s) failed: #2 (CUDA out of memory)." in texts


def test_a_training_run_or_model_of_a_search_names_the_search_in_its_lineage(alice):
    search = evaluated_search_row(owner=alice)
    best = search.best
    run_report = report_row(owner=alice, subject_kind="training_run", subject_id=best.training_run_id).snapshot
    assert run_report["metadata"]["lineage"]["search"]["search"] == search.pk
    assert run_report["metadata"]["lineage"]["search"]["trial"] == 4
    model_report = report_row(owner=alice, subject_kind="model", subject_id=search.best_model_id).snapshot
    assert model_report["metadata"]["lineage"]["search"]["generation"] == 2
