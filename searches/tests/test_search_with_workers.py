"""A search end to end through the API and real workers (gpu -c 2, default with its beat) on the tiny demo set:
generations of real training runs, the elite carried over, the best registered with lineage, resume after the
control worker is killed, cancel mid-way."""
import csv
import io

import pytest
import yaml

from jobs.models import Job, JobState
from registry.models import ModelVersion
from searches.models import Individual, IndividualState, Search
from searches.space import RUN_GENES, baseline_genome
from tests.waiting import wait_for, wait_for_job_state
from tests.workers import default_worker_args
from training.models import TrainingRun

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

URL = "/api/searches/"
SPACE = {"lr0": [1e-3, 1e-1, "log"], "momentum": [0.8, 0.95], "mosaic": [0, 1], "close_mosaic": [0, 5]}


def start(client, dataset, **changes):
    body = {"dataset": dataset.id, "preset": "yolov8n", "epochs": 1, "imgsz": 64, "batch": 16, "population": 3,
            "generations": 2, "space": SPACE, "elitism": 1, "seed": 0, "prune": False}
    body.update(changes)
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def training_jobs(search_id):
    return Job.objects.filter(training_run__individuals__search_id=search_id).distinct()


def test_a_search_evolves_generations_carries_its_elite_resumes_and_registers_the_best(
        alice, api, gpu_worker, default_worker, _workers, demo_dataset):
    client = api(alice)
    search = start(client, demo_dataset)

    # The control worker dies while generation 1 trains (once its step has started all three: a kill inside the
    # step is the controller's adopt-or-drop path, not what this test pins down); the gpu worker goes on; the
    # individuals' end-of-job events wait in Redis; a new control worker resumes.
    wait_for(lambda: training_jobs(search["id"]).filter(state=JobState.RUNNING).exists()
             and Individual.objects.filter(search_id=search["id"]).count() == 3
             and Job.objects.get(pk=search["job"]).progress_message.startswith("generation 1/2"),
             timeout=120, message="generation 1 to be started and training")
    default_worker.kill()
    wait_for(lambda: training_jobs(search["id"]).filter(state=JobState.SUCCEEDED).exists(), timeout=120,
             message="an individual to finish while the control worker is down")
    assert Search.objects.get(pk=search["id"]).individuals.filter(told=True).count() == 0
    _workers.get("default", default_worker_args)
    job = wait_for_job_state(search["job"], [JobState.SUCCEEDED, JobState.FAILED], timeout=300)
    assert job.state == JobState.SUCCEEDED, job.error

    detail = client.get(f"{URL}{search['id']}/").json()
    individuals = detail["individuals"]
    assert detail["state"] == "SUCCEEDED" and detail["generation"] == 2 and detail["progress"] == 1.0
    assert [i["generation"] for i in individuals] == [1, 1, 1, 2, 2, 2]
    assert all(i["state"] == IndividualState.SUCCEEDED and i["fitness"] is not None for i in individuals)
    for individual in individuals:  # every gene inside its bounds, and only the space's genes
        genome = individual["hyperparameters"]
        assert set(genome) == set(SPACE)
        assert all(low <= genome[gene] <= high for gene, (low, high, *_) in SPACE.items()), genome
        assert isinstance(genome["close_mosaic"], int)

    # The first individual is ultralytics' default recipe, clipped into the space (close_mosaic 10 -> 5).
    assert individuals[0]["hyperparameters"] == baseline_genome(SPACE, imgsz=64, preset="yolov8n")
    assert individuals[0]["hyperparameters"]["close_mosaic"] == 5

    # Elitism: the best of generation 1 is carried into generation 2 unchanged (same genome, run and fitness).
    first = [i for i in individuals if i["generation"] == 1]
    best_of_first = max(first, key=lambda i: (i["fitness"], -i["number"]))
    elites = [i for i in individuals if i["elite"]]
    assert len(elites) == 1 and elites[0]["generation"] == 2 and elites[0]["elite_of"] == best_of_first["id"]
    assert elites[0]["hyperparameters"] == best_of_first["hyperparameters"]
    assert elites[0]["training_run"] == best_of_first["training_run"]
    assert len({i["training_run"] for i in individuals}) == 5  # 3 + 2 trained; the elite was not retrained

    # Each individual is an ordinary training run, tagged with its search and generation.
    run = client.get(f"/api/training-runs/{individuals[-1]['training_run']}/").json()
    assert run["search"] == search["id"] and run["generation"] == 2 and run["params"]["epochs"] == 1
    assert run["state"] == "SUCCEEDED" and run["name"] == f"search-{search['id']}"

    # The best: the highest fitness, its training run's model version, with the search in its lineage.
    best = detail["best"]
    assert best["fitness"] == max(i["fitness"] for i in individuals) and not best["elite"]
    model = ModelVersion.objects.get(pk=detail["best_model"])
    assert model.dataset_id == demo_dataset.id and model.metadata["search"]["search"] == search["id"]
    assert model.metadata["search"]["genome"] == best["hyperparameters"]
    assert all(model.hyperparameters[gene] == value for gene, value in best["hyperparameters"].items())
    assert [i["id"] for i in detail["pareto_front"]] == [best["id"]]
    assert job.result["best_model"] == model.pk and job.result["trainings"] == 5

    best_yaml = client.get(f"{URL}{search['id']}/best_hyperparameters.yaml")
    assert best_yaml.status_code == 200
    recipe = yaml.safe_load(best_yaml.content)  # exactly what the best individual trained with: it reproduces it
    assert recipe == TrainingRun.objects.get(pk=best["training_run"]).params["hyperparameters"]
    assert {k: v for k, v in recipe.items() if k != "optimizer"} == \
        {k: v for k, v in best["hyperparameters"].items() if k not in RUN_GENES}
    rows = list(csv.DictReader(io.StringIO(client.get(f"{URL}{search['id']}/individuals.csv").content.decode())))
    assert len(rows) == 6 and {"lr0", "fitness", "elite"} <= set(rows[0])
    assert client.get(f"{URL}{search['id']}/progress.png").content.startswith(b"\x89PNG")
    assert client.get(f"{URL}{search['id']}/pareto.png").content.startswith(b"\x89PNG")
    assert not Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING]).exists()


def test_cancelling_a_search_mid_way_leaves_nothing_running(alice, api, gpu_worker, default_worker, demo_dataset):
    client = api(alice)
    search = start(client, demo_dataset, epochs=3, population=2, generations=3)
    wait_for(lambda: training_jobs(search["id"]).filter(state=JobState.RUNNING).exists(), timeout=120,
             message="an individual to train")
    response = client.post(f"{URL}{search['id']}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "CANCELLED"
    wait_for(lambda: not training_jobs(search["id"]).exclude(state__in=[JobState.SUCCEEDED, JobState.FAILED,
                                                                         JobState.CANCELLED]).exists(),
             timeout=60, message="the individuals' jobs to end")
    individuals = Individual.objects.filter(search_id=search["id"])
    assert individuals.count() == 2 and all(i.state == IndividualState.CANCELLED for i in individuals)
    assert Job.objects.get(pk=search["job"]).state == JobState.CANCELLED
    assert not Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING]).exists()
