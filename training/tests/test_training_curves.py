"""Training curves as a PNG: drawn live from the epochs while a run trains, kept with the artifacts once it ends."""
import io

import pytest
from django.test import Client
from PIL import Image

from conftest import PASSWORD
from jobs.models import Job, JobState
from core.storage import artifact_read_bytes
from training.curves import CURVES_FILE
from training.models import TrainingEpoch, TrainingRun
from training.services import training_curves_save

pytestmark = pytest.mark.django_db

URL = "/api/training-runs/"


def a_run(client, dataset, epochs: int) -> TrainingRun:
    response = client.post(URL, {"dataset": dataset.id, "preset": "yolov8n", "epochs": 5, "imgsz": 64}, format="json")
    assert response.status_code == 201, response.json()
    run = TrainingRun.objects.get(pk=response.json()["id"])
    for epoch in range(1, epochs + 1):
        TrainingEpoch.objects.create(run=run, epoch=epoch, box_loss=2.0 / epoch, cls_loss=3.0 / epoch,
                                     dfl_loss=1.5 / epoch, precision=0.1 * epoch, recall=0.08 * epoch,
                                     map50=0.05 * epoch, map50_95=0.03 * epoch, lr=0.01 / epoch, seconds=1.0)
    return run


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def test_the_curves_of_a_training_run_are_drawn_from_its_epochs_while_it_runs(alice, api, demo_dataset):
    run = a_run(api(alice), demo_dataset, epochs=3)
    response = api(alice).get(f"{URL}{run.pk}/curves.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "no-store"
    assert png_size(response.content) == (1000, 650)


def test_a_run_without_epochs_yet_still_gets_a_picture(alice, api, demo_dataset):
    run = a_run(api(alice), demo_dataset, epochs=0)
    assert png_size(api(alice).get(f"{URL}{run.pk}/curves.png").content) == (1000, 650)


def test_another_users_run_has_no_curves_for_you(alice, carol, api, demo_dataset):
    run = a_run(api(alice), demo_dataset, epochs=1)
    assert api(carol).get(f"{URL}{run.pk}/curves.png").status_code == 404


def test_an_ended_run_keeps_its_curves_with_its_artifacts_and_serves_that_file(alice, api, demo_dataset):
    run = a_run(api(alice), demo_dataset, epochs=2)
    assert training_curves_save(run=run) is None  # never started: no artifacts directory yet
    TrainingRun.objects.filter(pk=run.pk).update(artifacts=f"training/{run.pk}")
    run.refresh_from_db()
    saved = training_curves_save(run=run)
    assert saved == f"{run.artifacts}/{CURVES_FILE}" and png_size(artifact_read_bytes(saved)) == (1000, 650)
    Job.objects.filter(pk=run.job_id).update(state=JobState.SUCCEEDED)
    response = api(alice).get(f"{URL}{run.pk}/curves.png")
    assert response.status_code == 200 and response.content == artifact_read_bytes(saved)


def test_the_admin_page_of_a_run_shows_its_curves(root, alice, api, demo_dataset):
    run = a_run(api(alice), demo_dataset, epochs=2)
    client = Client()
    assert client.login(username=root.username, password=PASSWORD)
    page = client.get(f"/admin/training/trainingrun/{run.pk}/change/").content.decode()
    assert f'src="/api/training-runs/{run.pk}/curves.png"' in page
    assert client.get(f"{URL}{run.pk}/curves.png").status_code == 200  # the admin's session may fetch it
