"""DELETE /api/training-runs/{id}/: a finished run goes with its job, epochs and artifacts; its model stays."""
import pytest

from jobs.models import Job, JobState
from core.storage import artifact_exists, artifact_put_bytes
from registry.models import ModelVersion
from tests.support.rows import dataset_row, model_row, training_run_row
from training.models import TrainingEpoch, TrainingRun

pytestmark = pytest.mark.django_db


def test_the_owner_deletes_a_finished_run_with_its_job_epochs_and_artifacts(api, alice,
                                                                            django_capture_on_commit_callbacks):
    dataset = dataset_row(owner=alice)
    trained = model_row(owner=alice, source="training", dataset=dataset)
    run = training_run_row(owner=alice, dataset=dataset, result=trained)
    TrainingEpoch.objects.create(run=run, epoch=1, map50=0.1)
    run.artifacts = f"training/{run.pk}"
    run.save()
    artifact_put_bytes(name=f"{run.artifacts}/results.csv", data=b"epoch\n1\n")

    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).delete(f"/api/training-runs/{run.pk}/")

    assert response.status_code == 204
    assert not TrainingRun.objects.exists() and not TrainingEpoch.objects.exists()
    assert not Job.objects.filter(pk=run.job_id).exists()
    assert not artifact_exists(f"{run.artifacts}/results.csv")
    assert ModelVersion.objects.get(pk=trained.pk).dataset_id == dataset.pk


def test_a_queued_or_running_run_is_409_until_it_has_stopped(api, alice):
    run = training_run_row(owner=alice, dataset=dataset_row(owner=alice), state=JobState.QUEUED)

    response = api(alice).delete(f"/api/training-runs/{run.pk}/")

    assert response.status_code == 409
    assert response.json()["detail"] == (f"Training run {run.pk} is queued; cancel it (POST /api/jobs/{run.job_id}"
                                         "/cancel/) and delete it once it has stopped.")
    Job.objects.filter(pk=run.job_id).update(state=JobState.FAILED)
    assert api(alice).delete(f"/api/training-runs/{run.pk}/").status_code == 204


def test_others_runs_are_not_found_viewers_may_not_delete_and_admins_may(api, alice, carol, bob, root):
    run = training_run_row(owner=alice, dataset=dataset_row(owner=alice))

    assert api(carol).delete(f"/api/training-runs/{run.pk}/").status_code == 404
    assert api(bob).delete(f"/api/training-runs/{run.pk}/").status_code == 404
    assert api(root).delete(f"/api/training-runs/{run.pk}/").status_code == 204
