"""The platform's genetic search against ultralytics' `model.tune()` at an equal budget, in the same run.

Budget: the same number of training runs x epochs on the same demo dataset (BENCH_SEARCH_IMAGES generated images at
BENCH_SEARCH_IMGSZ), the same space (bounds), the same training seed (0), optimizer AdamW for both (so lr0 and
momentum matter). The search runs population P for G generations with elitism E through the API, a real gpu worker
(-c 2) and a control worker: P + (G-1)(P-E) trainings (elites are carried, not retrained). `model.tune()` runs
that many iterations in-process, one candidate at a time. Reported: best fitness of each (0.1 mAP50 + 0.9
mAP50-95), wall time of each, the time ratio search/tune (goal <= 0.7) and whether the search's best >= tune's.

Runs in a child process with its own embedded Redis, SQLite database and ARTIFACT_ROOT (tests/environment.py).
`python -m tests.perf.bench_search` runs it alone; BENCH_SEARCH_REPEATS=2 repeats both, interleaved.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = "BENCH_SEARCH_RESULT "
SPACE = {"lr0": [1e-4, 1e-1, "log"], "momentum": [0.6, 0.98], "weight_decay": [0.0, 0.001],
         "warmup_epochs": [0.0, 5.0], "box": [1.0, 20.0], "cls": [0.2, 4.0], "translate": [0.0, 0.9],
         "scale": [0.0, 0.95], "fliplr": [0.0, 1.0], "mosaic": [0.0, 1.0]}


def main() -> dict:
    from tests.perf.harness import print_table

    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run([sys.executable, "-m", "tests.perf.bench_search", "--inner"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=7200)
    lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"the search benchmark failed: {(completed.stderr or completed.stdout)[-3000:]}")
    results = json.loads(lines[-1][len(MARKER):])
    b = results["budget"]
    rows = []
    for index, repeat in enumerate(results["repeats"], start=1):
        rows.append([index, repeat["search_best_fitness"], repeat["tune_best_fitness"], repeat["search_s"],
                     repeat["tune_s"], repeat["time_ratio"], repeat["pruned"]])
    print_table(f"Search vs model.tune(): {b['trainings']} trainings x {b['epochs']} epochs, {b['images']} images "
                f"at imgsz {b['imgsz']}, population {b['population']} x {b['generations']} generations, elitism "
                f"{b['elitism']}, {results['device']}",
                ["repeat", "search fitness", "tune fitness", "search s", "tune s", "ratio (goal <= 0.7)", "pruned"],
                rows)
    return results


# --- the measurement, in its own process ---------------------------------------------------------------


def _search_run(client, dataset, budget: dict) -> dict:
    from jobs.models import Job
    from searches.models import Individual

    started = time.monotonic()
    response = client.post("/api/searches/", {
        "dataset": dataset.pk, "preset": "yolov8n", "epochs": budget["epochs"], "imgsz": budget["imgsz"],
        "batch": 16, "population": budget["population"], "generations": budget["generations"], "space": SPACE,
        "elitism": budget["elitism"], "seed": 0, "prune": True}, format="json")
    if response.status_code != 201:
        raise RuntimeError(f"search start failed: {response.status_code} {response.content[:500]!r}")
    job_id = response.json()["job"]
    while not Job.objects.get(pk=job_id).is_terminal:
        if time.monotonic() - started > 3600:
            raise RuntimeError("the search did not finish in an hour")
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    job = Job.objects.get(pk=job_id)
    if job.state != "SUCCEEDED":
        raise RuntimeError(f"the search ended {job.state}: {job.error}")
    individuals = Individual.objects.filter(search__job_id=job_id)
    return {"search_s": round(elapsed, 1), "search_best_fitness": job.result["best_fitness"],
            "trainings": individuals.filter(elite=False).count(), "pruned": individuals.filter(pruned=True).count()}


def _tune_run(data_yaml: Path, scratch: Path, budget: dict, device: str) -> dict:
    from ultralytics import YOLO

    space = {name: tuple(bounds[:2]) for name, bounds in SPACE.items()}
    started = time.monotonic()
    model = YOLO("yolov8n.yaml")
    model.tune(data=str(data_yaml), epochs=budget["epochs"], iterations=budget["trainings"], imgsz=budget["imgsz"],
               batch=16, seed=0, optimizer="AdamW", space=space, device=device, workers=0, plots=False, save=False,
               val=True, verbose=False, amp=device != "cpu", project=str(scratch), name="tune", exist_ok=False)
    elapsed = time.monotonic() - started
    records = [json.loads(line) for line in (scratch / "tune" / "tune_results.ndjson").read_text().splitlines()
               if line.strip()]
    return {"tune_s": round(elapsed, 1), "tune_best_fitness": max(r.get("fitness") or 0.0 for r in records),
            "tune_iterations": len(records)}


def _inner() -> dict:
    from tests.perf.bench_training import _owner_and_dataset, _platform

    run_dir = _platform()
    from tests.workers import WorkerProcess, default_worker_args, gpu_worker_args

    population = int(os.environ.get("BENCH_SEARCH_POPULATION", "3"))
    generations = int(os.environ.get("BENCH_SEARCH_GENERATIONS", "3"))
    elitism = int(os.environ.get("BENCH_SEARCH_ELITISM", "1"))
    budget = {"images": int(os.environ.get("BENCH_SEARCH_IMAGES", "256")),
              "imgsz": int(os.environ.get("BENCH_SEARCH_IMGSZ", "128")),
              "epochs": int(os.environ.get("BENCH_SEARCH_EPOCHS", "8")), "population": population,
              "generations": generations, "elitism": elitism,
              "trainings": population + (generations - 1) * (population - elitism)}
    repeats = int(os.environ.get("BENCH_SEARCH_REPEATS", "1"))
    client, dataset, data_yaml, device = _owner_and_dataset(run_dir, budget["images"], budget["imgsz"])
    gpu = WorkerProcess("gpu", gpu_worker_args()).start()
    control = WorkerProcess("default", default_worker_args()).start()
    results = []
    try:
        for repeat in range(repeats):  # interleaved, so load from other processes hits both alike
            tune = _tune_run(data_yaml, run_dir / f"tune-{repeat}", budget, device)
            search = _search_run(client, dataset, budget)
            results.append({**search, **tune, "time_ratio": round(search["search_s"] / tune["tune_s"], 3),
                            "fitness_goal_met": search["search_best_fitness"] >= tune["tune_best_fitness"]})
    finally:
        control.stop()
        gpu.stop()
    return {"budget": budget, "repeats": results, "device": "cpu" if device == "cpu" else f"cuda:{device}",
            "cpu_count": os.cpu_count()}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if "--inner" in sys.argv:
        result = _inner()
        print(MARKER + json.dumps(result, default=str), flush=True)
    else:
        print(json.dumps(main(), indent=2, default=str))
