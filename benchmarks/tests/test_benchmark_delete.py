"""DELETE /api/benchmarks/{id}/: the owner deletes an ended run (then its model can be deleted); 409 while it
runs; another engineer 404; a viewer 403 (no worker)."""
import pytest

from benchmarks.models import BenchmarkRun
from jobs.models import Job, JobState
from tests.support.rows import benchmark_run_row

URL = "/api/benchmarks/"

pytestmark = pytest.mark.django_db


def test_an_ended_benchmark_is_deleted_and_its_model_then_can_be(alice, api, tiny_model):
    run = benchmark_run_row(owner=alice, model=tiny_model, state=JobState.SUCCEEDED)
    blocked = api(alice).delete(f"/api/models/{tiny_model.pk}/")
    assert blocked.status_code == 409 and f"benchmark run {run.pk}" in blocked.json()["detail"]

    assert api(alice).delete(f"{URL}{run.pk}/").status_code == 204
    assert not BenchmarkRun.objects.filter(pk=run.pk).exists() and not Job.objects.filter(pk=run.job_id).exists()
    assert api(alice).delete(f"/api/models/{tiny_model.pk}/").status_code == 204


def test_a_running_benchmark_is_a_409_saying_how_to_stop_it(alice, api, tiny_model):
    run = benchmark_run_row(owner=alice, model=tiny_model, state=JobState.RUNNING)
    response = api(alice).delete(f"{URL}{run.pk}/")
    assert response.status_code == 409 and f"POST /api/jobs/{run.job_id}/cancel/" in response.json()["detail"]
    assert BenchmarkRun.objects.filter(pk=run.pk).exists()


def test_others_may_not_delete_it(alice, bob, carol, api, tiny_model):
    run = benchmark_run_row(owner=alice, model=tiny_model, state=JobState.SUCCEEDED)
    assert api(carol).delete(f"{URL}{run.pk}/").status_code == 404
    assert api(bob).delete(f"{URL}{run.pk}/").status_code == 404  # a viewer sees nothing private
    assert BenchmarkRun.objects.filter(pk=run.pk).exists()
