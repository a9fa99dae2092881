"""Listing, reading, downloading and deleting datasets: visibility, ownership, and the rows that keep a dataset."""
import io
import zipfile

import pytest

from jobs.models import JobState
from registry.models import Dataset
from tests.support.dataset_zips import dataset_upload, demo_files, make_zip, stored_files
from tests.support.rows import model_row, training_run_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices(api, alice):
    return dataset_upload(api(alice), make_zip(demo_files()), name="private").json()


def test_a_user_lists_own_and_shared_datasets_and_admins_see_all(api, alice, carol, bob, root):
    own = dataset_upload(api(alice), make_zip(demo_files(seed=1)), name="mine").json()
    shared = dataset_upload(api(carol), make_zip(demo_files(seed=2)), name="team", shared=True).json()
    private = dataset_upload(api(carol), make_zip(demo_files(seed=3)), name="secret").json()

    def ids(user, query=""):
        return {d["id"] for d in api(user).get(f"/api/datasets/{query}").json()["results"]}

    assert ids(alice) == {own["id"], shared["id"]}
    assert ids(bob) == {shared["id"]}
    assert ids(root) == {own["id"], shared["id"], private["id"]}
    assert ids(root, "?name=team") == {shared["id"]}


def test_the_detail_shows_the_report(api, alice, alices):
    body = api(alice).get(f"/api/datasets/{alices['id']}/").json()

    assert body["report"]["splits"]["val"]["images"] == 3
    assert body["class_names"] == ["circle", "square", "triangle"]


def test_another_engineers_private_dataset_is_not_found(api, carol, alices):
    assert api(carol).get(f"/api/datasets/{alices['id']}/").status_code == 404
    assert api(carol).get(f"/api/datasets/{alices['id']}/download/").status_code == 404
    assert api(carol).delete(f"/api/datasets/{alices['id']}/").status_code == 404


def test_the_download_is_the_stored_archive_the_validated_upload_normalised(api, alice, alices):
    response = api(alice).get(f"/api/datasets/{alices['id']}/download/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="private-v1.zip"')
    content = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(content)
    assert zipfile.ZipFile(io.BytesIO(content)).read("data.yaml").startswith(b"train:")
    import hashlib

    from registry.models import Dataset

    assert hashlib.sha256(content).hexdigest() == Dataset.objects.get(pk=alices["id"]).archive_sha256


def test_the_owner_deletes_a_dataset_and_its_files(api, alice, alices):
    archive_sha256 = Dataset.objects.get(pk=alices["id"]).archive_sha256

    def its_files():
        return {name for name in stored_files() if archive_sha256 in name}

    assert its_files() == {f"datasets/{archive_sha256[:2]}/{archive_sha256}.zip"}  # one archive object
    response = api(alice).delete(f"/api/datasets/{alices['id']}/")

    assert response.status_code == 204
    assert not Dataset.objects.exists()
    assert its_files() == set()


def test_files_shared_with_another_record_survive_a_delete(api, alice, carol):
    content = make_zip(demo_files())
    mine = dataset_upload(api(alice), content).json()
    dataset_upload(api(carol), content)
    files = stored_files()

    assert api(alice).delete(f"/api/datasets/{mine['id']}/").status_code == 204
    assert stored_files() == files


def test_a_dataset_a_finished_training_run_used_answers_409_naming_the_run_and_its_model(api, alice, alices):
    dataset = Dataset.objects.get(pk=alices["id"])
    trained = model_row(owner=alice, name="demo-yolov8n", source="training", dataset=dataset)
    run = training_run_row(owner=alice, dataset=dataset, result=trained)

    response = api(alice).delete(f"/api/datasets/{dataset.pk}/")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] == (f"Dataset {dataset.pk} (private v1) is used by model version {trained.pk} "
                              f"(demo-yolov8n v1), training run {run.pk}; delete those first.")
    assert {(d["type"], d["id"]) for d in body["dependents"]} == {("modelversion", trained.pk),
                                                                  ("trainingrun", run.pk)}
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_a_dataset_is_deleted_once_the_rows_that_used_it_are_gone(api, alice, alices):
    dataset = Dataset.objects.get(pk=alices["id"])
    trained = model_row(owner=alice, source="training", dataset=dataset)
    run = training_run_row(owner=alice, dataset=dataset, result=trained)

    assert api(alice).delete(f"/api/training-runs/{run.pk}/").status_code == 204
    assert api(alice).delete(f"/api/models/{trained.pk}/").status_code == 204
    assert api(alice).delete(f"/api/datasets/{dataset.pk}/").status_code == 204
    assert not Dataset.objects.exists()


def test_a_queued_training_run_holds_its_dataset_too(api, alice, alices):
    run = training_run_row(owner=alice, dataset=Dataset.objects.get(pk=alices["id"]), state=JobState.QUEUED)

    response = api(alice).delete(f"/api/datasets/{alices['id']}/")

    assert response.status_code == 409
    assert f"training run {run.pk}" in response.json()["detail"]


def test_a_viewer_cannot_delete_a_shared_dataset(api, alice, bob):
    shared = dataset_upload(api(alice), make_zip(demo_files()), shared=True).json()

    assert api(bob).delete(f"/api/datasets/{shared['id']}/").status_code == 403


def test_another_engineer_cannot_delete_a_shared_dataset_but_an_admin_can(api, alice, carol, root):
    shared = dataset_upload(api(alice), make_zip(demo_files()), shared=True).json()

    response = api(carol).delete(f"/api/datasets/{shared['id']}/")
    assert response.status_code == 403
    assert "owner or an admin" in response.json()["detail"]
    assert api(root).delete(f"/api/datasets/{shared['id']}/").status_code == 204
