"""POST/GET /api/searches/ without a worker: the schema (space gene by gene, the trial budget), roles, visibility."""
import pytest

from jobs.models import Job, JobKind
from searches.models import Search
from searches.space import DEFAULT_SPACE

pytestmark = pytest.mark.django_db

URL = "/api/searches/"


def errors(response) -> dict:
    """The field errors of a 400 (under `errors` beside a one-line `detail`, or at the top level)."""
    body = response.json()
    return body.get("errors", body)


def good_request(dataset, **changes):
    body = {"dataset": dataset.id, "preset": "yolov8n", "epochs": 1, "imgsz": 64, "batch": 16, "population": 3,
            "generations": 2, "space": {"lr0": [1e-3, 1e-1, "log"], "momentum": [0.8, 0.95]}, "elitism": 1,
            "seed": 0, "prune": False}
    body.update(changes)
    return body


def test_it_starts_a_search_as_a_queued_job_on_the_default_queue(alice, api, demo_dataset):
    response = api(alice).post(URL, good_request(demo_dataset), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    search = Search.objects.get(pk=body["id"])
    job = Job.objects.get(pk=body["job"])
    assert search.job == job and job.kind == JobKind.SEARCH and job.queue == "default" and job.state == "QUEUED"
    assert job.params["dataset"] == demo_dataset.id  # a dataset in use by a search cannot be deleted (409)
    assert body["generation"] == 1 and body["generations"] == 2 and body["population"] == 3
    assert body["individuals"] == [] and body["best"] is None and body["pareto_front"] == []
    assert search.params["objectives"] == ["fitness"] and search.params["crossover"] == "sbx"
    assert search.study_name.startswith(f"search-{search.pk}-")


def test_an_omitted_space_means_the_documented_default_space(alice, api, demo_dataset):
    body = good_request(demo_dataset)
    del body["space"]
    response = api(alice).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert Search.objects.get(pk=response.json()["id"]).params["space"] == DEFAULT_SPACE


@pytest.mark.parametrize("space, gene", [
    ({"learning_rate": [0.1, 0.2]}, "learning_rate"),
    ({"lr0": [0.1, 0.01]}, "lr0"),
    ({"lr0": [0.0, 0.1, "log"]}, "lr0"),
    ({"momentum": [0.5, 2.0]}, "momentum"),
    ({"box": [1, 200]}, "box"),
    ({"mosaic": [0, 1, "exp"]}, "mosaic"),
    ({"mixup": "0..1"}, "mixup"),
    ({"optimizer": ["SGD", "Adagrad"]}, "optimizer"),
    ({"imgsz": [64, 100]}, "imgsz"),
    ({"preset": ["yolov8n", "yolov99"]}, "preset"),
])
def test_a_bad_gene_is_a_400_naming_it(alice, api, demo_dataset, space, gene):
    response = api(alice).post(URL, good_request(demo_dataset, space=space), format="json")
    assert response.status_code == 400, response.json()
    assert gene in errors(response)["space"], response.json()
    assert not Search.objects.exists()


def test_every_bad_gene_is_named_at_once(alice, api, demo_dataset):
    space = {"lr0": [1, 0.1], "foo": [0, 1], "momentum": [0.8, 0.9]}
    response = api(alice).post(URL, good_request(demo_dataset, space=space), format="json")
    assert response.status_code == 400
    assert set(errors(response)["space"]) == {"lr0", "foo"}


@pytest.mark.parametrize("changes, field", [
    ({"population": 1}, "population"),
    ({"population": 100, "generations": 100}, "population"),
    ({"elitism": 3}, "elitism"),
    ({"imgsz": 100}, "imgsz"),
    ({"objectives": ["latency"]}, "objectives"),
    ({"objectives": ["fitness", "accuracy"]}, "objectives"),
    ({"crossover": "onepoint"}, "crossover"),
    ({"mutation_prob": 2}, "mutation_prob"),
    ({"preset": None}, "model"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_parameters_are_a_400_naming_the_field(alice, api, demo_dataset, changes, field):
    response = api(alice).post(URL, good_request(demo_dataset, **changes), format="json")
    assert response.status_code == 400, response.json()
    assert field in errors(response), response.json()


def test_the_trial_budget_is_bounded_by_a_setting(alice, api, demo_dataset, settings):
    settings.SEARCH_MAX_TRIALS = 5
    response = api(alice).post(URL, good_request(demo_dataset, population=3, generations=2), format="json")
    assert response.status_code == 400 and "SEARCH_MAX_TRIALS" in str(errors(response)["generations"])


def test_a_viewer_may_not_start_a_search(bob, api, demo_dataset):
    assert api(bob).post(URL, good_request(demo_dataset), format="json").status_code == 403


def test_someone_elses_dataset_is_a_404(carol, api, demo_dataset):
    assert api(carol).post(URL, good_request(demo_dataset), format="json").status_code == 404


def test_another_engineers_search_is_a_404_to_engineers_and_viewers_alike(alice, bob, carol, root, api,
                                                                         demo_dataset):
    search_id = api(alice).post(URL, good_request(demo_dataset), format="json").json()["id"]
    for path in ("", "individuals.csv", "progress.png", "best_hyperparameters.yaml"):
        assert api(carol).get(f"{URL}{search_id}/{path}").status_code == 404, path
    assert api(carol).post(f"{URL}{search_id}/cancel/").status_code == 404
    assert api(bob).post(f"{URL}{search_id}/cancel/").status_code == 404
    assert [s["id"] for s in api(carol).get(URL).json()["results"]] == []
    assert [s["id"] for s in api(root).get(URL).json()["results"]] == [search_id]
    assert api(alice).get(f"{URL}{search_id}/").json()["state"] == "QUEUED"


def test_a_queued_search_cancels_at_once(alice, api, demo_dataset):
    search_id = api(alice).post(URL, good_request(demo_dataset), format="json").json()["id"]
    response = api(alice).post(f"{URL}{search_id}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "CANCELLED"
    again = api(alice).post(f"{URL}{search_id}/cancel/")
    assert again.status_code == 409 and "already ended" in again.json()["detail"]


def test_an_ended_search_is_deleted_and_its_dataset_can_then_be_deleted(alice, bob, carol, api, demo_dataset):
    search_id = api(alice).post(URL, good_request(demo_dataset), format="json").json()["id"]
    job_id = Search.objects.get(pk=search_id).job_id
    refused = api(alice).delete(f"{URL}{search_id}/")
    assert refused.status_code == 409 and "cancel it" in refused.json()["detail"]
    assert api(alice).delete(f"/api/datasets/{demo_dataset.id}/").status_code == 409  # the search uses it
    assert api(alice).post(f"{URL}{search_id}/cancel/").status_code == 200
    assert api(carol).delete(f"{URL}{search_id}/").status_code == 404
    assert api(bob).delete(f"{URL}{search_id}/").status_code == 404
    assert api(alice).delete(f"{URL}{search_id}/").status_code == 204
    assert not Search.objects.filter(pk=search_id).exists() and not Job.objects.filter(pk=job_id).exists()
    assert api(alice).delete(f"/api/datasets/{demo_dataset.id}/").status_code == 204


def test_a_whole_number_gene_with_a_fractional_bound_is_a_400_naming_it(alice, api, demo_dataset):
    response = api(alice).post(URL, good_request(demo_dataset, space={"close_mosaic": [1.5, 3.5]}), format="json")
    assert response.status_code == 400
    assert errors(response)["space"] == {"close_mosaic": ["must be whole numbers"]}
    assert api(alice).post(URL, good_request(demo_dataset, space={"close_mosaic": [0, 10.0]}),
                           format="json").status_code == 201


def test_best_hyperparameters_before_any_result_is_a_409(alice, api, demo_dataset):
    search_id = api(alice).post(URL, good_request(demo_dataset), format="json").json()["id"]
    assert api(alice).get(f"{URL}{search_id}/best_hyperparameters.yaml").status_code == 409
    progress = api(alice).get(f"{URL}{search_id}/progress.png")
    assert progress.status_code == 200 and progress.content.startswith(b"\x89PNG")


def test_a_dataset_in_use_by_a_search_cannot_be_deleted(alice, api, demo_dataset):
    api(alice).post(URL, good_request(demo_dataset), format="json")
    response = api(alice).delete(f"/api/datasets/{demo_dataset.id}/")
    assert response.status_code == 409, response.content


def test_an_admin_sees_a_search_and_its_individuals_in_the_admin(alice, root, api, demo_dataset):
    from django.test import Client

    from conftest import PASSWORD

    search_id = api(alice).post(URL, good_request(demo_dataset), format="json").json()["id"]
    client = Client()
    assert client.login(username=root.username, password=PASSWORD)
    listing = client.get("/admin/searches/search/")
    assert listing.status_code == 200 and "1/2" in listing.content.decode()  # generation n of N
    assert client.get(f"/admin/searches/search/{search_id}/change/").status_code == 200


def test_a_search_from_a_model_that_is_not_pytorch_is_a_400_with_a_detail_naming_the_model(alice, api, demo_dataset):
    from registry.models import ModelVersion

    onnx = ModelVersion.objects.create(name="net", version=1, owner=alice, format="onnx", source="upload", file="",
                                       sha256="0" * 64)
    response = api(alice).post(URL, good_request(demo_dataset, preset=None, model=onnx.id), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == f"model: model {onnx.id} is onnx; a search trains from a PyTorch (.pt) model"
    assert body["errors"] == {"model": [f"model {onnx.id} is onnx; a search trains from a PyTorch (.pt) model"]}
    assert not Search.objects.exists()


def test_only_the_owner_or_an_admin_may_cancel_a_search_the_service_says_so(alice, carol, api, demo_dataset):
    from core.errors import Forbidden
    from searches.services import search_cancel

    search = Search.objects.get(pk=api(alice).post(URL, good_request(demo_dataset), format="json").json()["id"])
    with pytest.raises(Forbidden, match="Only the owner or an admin may cancel this search"):
        search_cancel(user=carol, search=search)
    assert search_cancel(user=alice, search=search).job.state == "CANCELLED"
