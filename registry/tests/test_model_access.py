"""Who sees, downloads and deletes model versions: owners, shared rows, admins, viewers; models other rows use stay."""
import pytest

from core.errors import NotFound
from core.storage import artifact_exists
from jobs.models import JobState
from registry.model_versions.selectors import model_get_visible, model_list_visible
from registry.model_versions.services import model_version_register
from registry.models import ModelVersion
from tests.support.model_files import as_upload, bytes_upload, model_upload, resaved_checkpoint
from tests.support.rows import benchmark_run_row, conversion_row, dataset_row, model_row, training_run_row

pytestmark = pytest.mark.django_db


def _registered(owner, path, name, shared=False) -> dict:
    """A version registered directly (uploads and their inspection are covered in test_model_upload)."""
    model = model_version_register(owner=owner, name=name, format="pytorch", source="upload", path=path,
                                   shared=shared, class_names=["circle", "square", "triangle"], input_size=64)
    return {"id": model.pk, "sha256": model.sha256}


@pytest.fixture
def alices(alice, tiny_weights):
    return _registered(alice, tiny_weights, "private")


@pytest.fixture
def carols_shared(carol, tiny_weights, tmp_path):
    other = resaved_checkpoint(tiny_weights, tmp_path / "shared.pt", date="2021-01-01T00:00:00")
    return _registered(carol, other, "team", shared=True)


def test_a_viewer_cannot_upload_a_model(api, bob, tiny_weights):
    response = model_upload(api(bob), as_upload(tiny_weights))

    assert response.status_code == 403
    assert not ModelVersion.objects.exists()


def test_users_list_their_own_and_shared_models_and_admins_see_all(api, alice, bob, carol, root, alices,
                                                                   carols_shared):
    def ids(user, query=""):
        return {m["id"] for m in api(user).get(f"/api/models/{query}").json()["results"]}

    assert ids(alice) == {alices["id"], carols_shared["id"]}
    assert ids(bob) == {carols_shared["id"]}
    assert ids(carol) == {carols_shared["id"]}
    assert ids(root) == {alices["id"], carols_shared["id"]}
    assert ids(root, "?name=team") == {carols_shared["id"]}
    assert ids(root, "?format=onnx") == set()
    assert api(alice).get("/api/models/?format=keras").status_code == 400


def test_the_public_selectors_answer_404_for_an_invisible_model(alice, carol, alices, carols_shared):
    assert model_get_visible(user=alice, model_id=carols_shared["id"]).name == "team"
    assert {m.pk for m in model_list_visible(user=carol)} == {carols_shared["id"]}
    with pytest.raises(NotFound):
        model_get_visible(user=carol, model_id=alices["id"])


def test_another_engineers_private_model_is_invisible(api, carol, alices):
    assert api(carol).get(f"/api/models/{alices['id']}/").status_code == 404
    assert api(carol).get(f"/api/models/{alices['id']}/download/").status_code == 404
    assert api(carol).delete(f"/api/models/{alices['id']}/").status_code == 404
    assert ModelVersion.objects.filter(pk=alices["id"]).exists()


def test_an_engineer_cannot_delete_a_model_shared_by_someone_else(api, alice, carols_shared):
    response = api(alice).delete(f"/api/models/{carols_shared['id']}/")

    assert response.status_code == 403
    assert ModelVersion.objects.filter(pk=carols_shared["id"]).exists()


def test_a_viewer_cannot_delete_even_a_shared_model(api, bob, carols_shared):
    assert api(bob).delete(f"/api/models/{carols_shared['id']}/").status_code == 403


def test_the_owner_downloads_the_exact_bytes(api, alice, alices, tiny_weights):
    response = api(alice).get(f"/api/models/{alices['id']}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == tiny_weights.read_bytes()
    assert response["X-Content-SHA256"] == alices["sha256"]
    assert "private-v1.pt" in response["Content-Disposition"]


def test_the_owner_deletes_a_model_and_its_file(api, alice, alices, django_capture_on_commit_callbacks):
    path = ModelVersion.objects.get(pk=alices["id"]).file

    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).delete(f"/api/models/{alices['id']}/")

    assert response.status_code == 204
    assert not ModelVersion.objects.filter(pk=alices["id"]).exists()
    assert not artifact_exists(path)


def test_a_file_other_versions_share_is_kept_when_one_is_deleted(api, alice, tiny_weights,
                                                                 django_capture_on_commit_callbacks):
    first = _registered(alice, tiny_weights, "one")
    _registered(alice, tiny_weights, "two")
    path = ModelVersion.objects.get(pk=first["id"]).file

    with django_capture_on_commit_callbacks(execute=True):
        api(alice).delete(f"/api/models/{first['id']}/")

    assert artifact_exists(path)


def test_an_admin_deletes_anyones_model(api, root, alices):
    assert api(root).delete(f"/api/models/{alices['id']}/").status_code == 204


def test_a_model_a_conversion_a_training_run_and_a_derived_version_use_answers_409_naming_them(api, alice):
    model = model_row(owner=alice, name="Base")
    onnx = model_row(owner=alice, name="Base", format="onnx", source="conversion", parent=model)
    conversion = conversion_row(source=model, result=onnx)
    run = training_run_row(owner=alice, dataset=dataset_row(owner=alice), parent=model, state=JobState.RUNNING)

    response = api(alice).delete(f"/api/models/{model.pk}/")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Model version {model.pk} (Base v1) is used by conversion {conversion.pk}, model version {onnx.pk} "
        f"(Base v2), training run {run.pk}; delete those first.")
    assert ModelVersion.objects.filter(pk=model.pk).exists()


def test_a_row_of_another_app_that_points_at_a_model_keeps_it_too(api, alice):
    model = model_row(owner=alice)
    benchmark = benchmark_run_row(owner=alice, model=model)

    response = api(alice).delete(f"/api/models/{model.pk}/")

    assert response.status_code == 409
    assert response.json()["dependents"] == [{"type": "benchmarkrun", "id": benchmark.pk,
                                              "label": f"benchmark run {benchmark.pk}"}]


def test_a_model_nothing_uses_any_more_is_deleted(api, alice):
    model = model_row(owner=alice, name="base")
    conversion = conversion_row(source=model, state=JobState.FAILED)

    assert api(alice).delete(f"/api/models/{model.pk}/").status_code == 409
    assert api(alice).delete(f"/api/conversions/{conversion.pk}/").status_code == 204
    assert api(alice).delete(f"/api/models/{model.pk}/").status_code == 204


def test_an_upload_just_over_the_limit_is_stopped_while_streaming(api, alice, settings):
    settings.MAX_MODEL_UPLOAD_MB = 1

    response = model_upload(api(alice), bytes_upload(b"\x00" * (1024 * 1024 + 4096), "big.pt"))

    assert response.status_code == 413
