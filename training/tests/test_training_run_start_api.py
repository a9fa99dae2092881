"""POST/GET /api/training-runs/ without a worker: the schema, visibility, roles and what a started run looks like."""
import pytest

from jobs.models import Job, JobKind
from tests.support.rows import model_row
from training.models import TrainingRun

pytestmark = pytest.mark.django_db

URL = "/api/training-runs/"


def good_request(ds, **changes):
    body = {"dataset": ds.id, "preset": "yolov8n", "epochs": 2, "imgsz": 64, "batch": 8, "seed": 0,
            "patience": 10, "hyperparameters": {"lr0": 0.01, "momentum": 0.9, "weight_decay": 0.0005}}
    body.update(changes)
    return body


def test_it_starts_a_run_as_a_queued_training_job_on_the_gpu_queue(alice, api, demo_dataset):
    response = api(alice).post(URL, good_request(demo_dataset), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    run = TrainingRun.objects.get(pk=body["id"])
    job = Job.objects.get(pk=body["job"])
    assert run.job_id == job.id and run.preset == "yolov8n" and run.parent_model is None
    assert job.kind == JobKind.TRAINING and job.queue == "gpu" and job.state == "QUEUED"
    assert run.params["hyperparameters"] == {"lr0": 0.01, "momentum": 0.9, "weight_decay": 0.0005}
    assert run.params["time_limit_seconds"] > 0
    assert body["epochs"] == [] and body["result_model"] is None and body["job_detail"]["state"] == "QUEUED"


def test_it_starts_a_run_from_a_visible_pytorch_model(alice, api, demo_dataset, tiny_model):
    response = api(alice).post(URL, good_request(demo_dataset, preset=None, model=tiny_model.id), format="json")
    assert response.status_code == 201, response.json()
    assert TrainingRun.objects.get(pk=response.json()["id"]).parent_model == tiny_model


@pytest.mark.parametrize("changes, field", [
    ({"imgsz": 100}, "imgsz"),
    ({"imgsz": 16}, "imgsz"),
    ({"imgsz": 4096}, "imgsz"),
    ({"epochs": 0}, "epochs"),
    ({"epochs": 5000}, "epochs"),
    ({"batch": 0}, "batch"),
    ({"patience": -1}, "patience"),
    ({"seed": -3}, "seed"),
    ({"time_limit_seconds": 0}, "time_limit_seconds"),
    ({"preset": "yolov99"}, "preset"),
    ({"preset": None}, "model"),
    ({"model": 1}, "model"),
    ({"dataset": "abc"}, "dataset"),
    ({"name": "../etc"}, "name"),
    ({"hyperparameters": {"learning_rate": 0.1}}, "learning_rate"),
    ({"hyperparameters": {"lr0": 5}}, "lr0"),
    ({"hyperparameters": {"momentum": "fast"}}, "momentum"),
    ({"hyperparameters": {"close_mosaic": 2.5}}, "close_mosaic"),
    ({"hyperparameters": {"optimizer": "Adagrad"}}, "optimizer"),
    ({"hyperparameters": {"cos_lr": "yes"}}, "cos_lr"),
    ({"hyperparameters": "lr0=0.1"}, "hyperparameters"),
    ({"lr0": 0.1}, "lr0"),
])
def test_it_rejects_a_bad_parameter_with_a_400_naming_it(alice, api, demo_dataset, changes, field):
    response = api(alice).post(URL, good_request(demo_dataset, **changes), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["detail"]
    assert not TrainingRun.objects.exists() and not Job.objects.exists()


def test_it_names_every_unknown_hyperparameter(alice, api, demo_dataset):
    response = api(alice).post(URL, good_request(demo_dataset, hyperparameters={"lr0": 0.01, "foo": 1, "bar": 2}),
                               format="json")
    assert response.status_code == 400
    assert "foo" in response.json()["detail"] and "bar" in response.json()["detail"]


def test_another_users_dataset_is_a_404(carol, api, demo_dataset):
    response = api(carol).post(URL, good_request(demo_dataset), format="json")
    assert response.status_code == 404
    assert not Job.objects.exists()


def test_a_shared_dataset_of_another_user_may_be_trained_on(carol, api, demo_dataset):
    demo_dataset.shared = True
    demo_dataset.save()
    assert api(carol).post(URL, good_request(demo_dataset), format="json").status_code == 201


def test_another_users_model_is_a_404(carol, api, demo_dataset, tiny_model):
    demo_dataset.shared = True
    demo_dataset.save()
    response = api(carol).post(URL, good_request(demo_dataset, preset=None, model=tiny_model.id), format="json")
    assert response.status_code == 404


def test_an_onnx_model_cannot_be_the_start_of_a_run(alice, api, demo_dataset, tiny_model):
    onnx = model_row(owner=alice, name="tiny", format="onnx", source="conversion")
    response = api(alice).post(URL, good_request(demo_dataset, preset=None, model=onnx.id), format="json")
    assert response.status_code == 400
    assert "model" in response.json()["detail"] and "PyTorch" in response.json()["detail"]
    assert not Job.objects.exists()


def test_a_viewer_gets_403(bob, api, demo_dataset):
    demo_dataset.shared = True
    demo_dataset.save()
    response = api(bob).post(URL, good_request(demo_dataset), format="json")
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_users_list_their_own_runs_and_admins_list_all(alice, carol, root, api, demo_dataset):
    demo_dataset.shared = True
    demo_dataset.save()
    mine = api(alice).post(URL, good_request(demo_dataset), format="json").json()["id"]
    theirs = api(carol).post(URL, good_request(demo_dataset), format="json").json()["id"]
    assert [r["id"] for r in api(alice).get(URL).json()["results"]] == [mine]
    assert {r["id"] for r in api(root).get(URL).json()["results"]} == {mine, theirs}
    assert api(alice).get(f"{URL}{theirs}/").status_code == 404
    assert api(alice).get(f"{URL}{theirs}/metrics.csv").status_code == 404
    assert api(root).get(f"{URL}{theirs}/").json()["owner"] == "carol"


def test_metrics_csv_has_a_header_and_a_row_per_epoch(alice, api, demo_dataset):
    from training.models import TrainingEpoch

    run_id = api(alice).post(URL, good_request(demo_dataset), format="json").json()["id"]
    TrainingEpoch.objects.create(run_id=run_id, epoch=1, box_loss=1.5, map50=0.25)
    response = api(alice).get(f"{URL}{run_id}/metrics.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().strip().splitlines()
    assert lines[0].startswith("epoch,box_loss,cls_loss,dfl_loss,precision,recall,map50,map50_95,lr,seconds")
    assert lines[1].startswith("1,1.5,,,,,0.25")
