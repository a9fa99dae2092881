"""A two-objective search through real workers: every trained individual's latency is measured on the gpu queue
(ONNX Runtime CPU p50 of its exported best weights at its imgsz gene), and the Pareto front and best follow."""
import pytest

from jobs.models import JobState
from tests.waiting import wait_for_job_state

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def test_a_fitness_and_latency_search_measures_every_individual_and_ends_on_its_pareto_front(
        alice, api, gpu_worker, default_worker, demo_dataset):
    client = api(alice)
    body = {"dataset": demo_dataset.id, "preset": "yolov8n", "epochs": 1, "imgsz": 64, "batch": 16,
            "population": 2, "generations": 2, "space": {"lr0": [1e-3, 1e-1, "log"], "imgsz": [32, 64]},
            "elitism": 1, "seed": 0, "objectives": ["fitness", "latency"]}
    response = client.post("/api/searches/", body, format="json")
    assert response.status_code == 201, response.json()
    search = response.json()
    job = wait_for_job_state(search["job"], [JobState.SUCCEEDED, JobState.FAILED], timeout=240)
    assert job.state == JobState.SUCCEEDED, job.error

    detail = client.get(f"/api/searches/{search['id']}/").json()
    individuals = detail["individuals"]
    assert len(individuals) == 4 and all(i["state"] == "succeeded" for i in individuals)
    assert all(0 < i["latency_ms"] < 1000 and i["hyperparameters"]["imgsz"] in (32, 64) for i in individuals)
    front = detail["pareto_front"]
    assert front and all(not i["elite"] for i in front)
    for member in front:  # nothing evaluated dominates a member of the front
        assert not any(other["fitness"] >= member["fitness"] and other["latency_ms"] < member["latency_ms"]
                       for other in individuals if not other["elite"])
    assert detail["best"]["id"] in {i["id"] for i in front}  # the highest fitness within the front
    assert detail["best"]["fitness"] == max(i["fitness"] for i in front)
    assert job.result["best_latency_ms"] == detail["best"]["latency_ms"]
    assert client.get(f"/api/searches/{search['id']}/pareto.png").content.startswith(b"\x89PNG")
