"""The platform's genetic search against ultralytics' `model.tune()` at an equal budget, in the same run.

Budget: the same number of training runs x epochs on the same demo dataset (BENCH_SEARCH_IMAGES generated images at
BENCH_SEARCH_IMGSZ), the same space (bounds), the same training seed (0), optimizer AdamW for both (so lr0 and
momentum matter). The search runs population P for G generations with elitism E through the API, a real gpu worker
and a control worker: P + (G-1)(P-E) trainings (elites are carried, not retrained). `model.tune()` runs that many
iterations in-process, one candidate at a time.

One fitness for both sides: 0.1 mAP50 + 0.9 mAP50-95 of each training's BEST epoch (`searches/measures.py`'s rule),
the best over the trainings. The search's is read from its trainings' epoch rows; the tuner's from each iteration's
own results.csv (ultralytics 8.4 scores an iteration by mAP50-95 alone and, with save=False, its last epoch: not
comparable), so the tuner runs with cleanup off to keep them. Three search rows per repeat, in the same run:
  (a) everything equal: no pruning, one training at a time (gpu worker -c 1): the fitness goal (>= the tuner's);
  (b) pruning, one training at a time;  (c) pruning and two trainings at once (-c 2): the time goal (<= 0.7x tune).
Runs in a child process with its own embedded Redis, SQLite database and ARTIFACT_ROOT (tests/environment.py).
`python -m tests.perf.bench_search` runs it alone; BENCH_SEARCH_REPEATS (default 3) repeats all four, interleaved.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
MARKER = "BENCH_SEARCH_RESULT "
MODES = {"a": {"prune": False, "slots": 1, "label": "everything equal"},
         "b": {"prune": True, "slots": 1, "label": "pruning"},
         "c": {"prune": True, "slots": 2, "label": "pruning + two slots"}}
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
        rows.append([index, "tune", "-", repeat["tune_best_fitness"], repeat["tune_s"], 1.0, "-", "-"])
        for mode in MODES:
            row = repeat[mode]
            goal = ("fitness >= tune: " + ("met" if row["fitness_goal_met"] else "MISSED")) if mode == "a" else (
                "time <= 0.7: " + ("met" if row["time_ratio"] <= 0.7 else "MISSED"))
            rows.append([index, f"search ({mode}) {MODES[mode]['label']}", row["pruned"], row["search_best_fitness"],
                         row["search_s"], row["time_ratio"], row["fitness_goal_met"], goal])
    print_table(f"Search vs model.tune(): {b['trainings']} trainings x {b['epochs']} epochs, {b['images']} images "
                f"at imgsz {b['imgsz']}, population {b['population']} x {b['generations']} generations, elitism "
                f"{b['elitism']}, {results['device']}; fitness 0.1 mAP50 + 0.9 mAP50-95 of each training's best "
                "epoch, both sides",
                ["repeat", "side", "pruned", "best fitness", "wall s", "time / tune", ">= tune", "goal"], rows)
    met = [repeat["a"]["fitness_goal_met"] for repeat in results["repeats"]]
    print(f"fitness goal (a), everything equal: met in {sum(met)} of {len(met)} repeats")
    return results


# --- the measurement, in its own process ---------------------------------------------------------------


def best_epoch_fitness_csv(path: Path) -> float:
    """The fitness of a training's best epoch from its ultralytics results.csv, by the search's own rule."""
    import csv

    from searches.measures import best_epoch_fitness

    with open(path, newline="") as handle:
        rows = [{k.strip(): v for k, v in row.items()} for row in csv.DictReader(handle)]
    epochs = [SimpleNamespace(map50=float(r["metrics/mAP50(B)"]), map50_95=float(r["metrics/mAP50-95(B)"]))
              for r in rows]
    return best_epoch_fitness(epochs) if epochs else 0.0


def _search_run(client, dataset, budget: dict, *, prune: bool) -> dict:
    from jobs.models import Job
    from searches.measures import best_epoch_fitness
    from searches.models import Individual
    from training.models import TrainingEpoch

    started = time.monotonic()
    response = client.post("/api/searches/", {
        "dataset": dataset.pk, "preset": "yolov8n", "epochs": budget["epochs"], "imgsz": budget["imgsz"],
        "batch": 16, "population": budget["population"], "generations": budget["generations"], "space": SPACE,
        "elitism": budget["elitism"], "seed": 0, "prune": prune}, format="json")
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
    trained = individuals.filter(elite=False, training_run__isnull=False)
    fitness = [f for f in (best_epoch_fitness(TrainingEpoch.objects.filter(run_id=i.training_run_id)) for i in trained)
               if f is not None]
    return {"search_s": round(elapsed, 1), "search_best_fitness": round(max(fitness, default=0.0), 6),
            "search_reported_fitness": job.result["best_fitness"], "trainings": trained.count(),
            "pruned": individuals.filter(pruned=True).count()}


def _tune_run(data_yaml: Path, scratch: Path, budget: dict, device: str) -> dict:
    from ultralytics import YOLO

    from ultralytics.engine.tuner import Tuner

    space = {name: tuple(bounds[:2]) for name, bounds in SPACE.items()}
    started = time.monotonic()
    model = YOLO("yolov8n.yaml")
    args = {**model.overrides, "data": str(data_yaml), "epochs": budget["epochs"], "imgsz": budget["imgsz"],
            "batch": 16, "seed": 0, "optimizer": "AdamW", "space": space, "device": device, "workers": 0,
            "plots": False, "save": False, "val": True, "verbose": False, "amp": device != "cpu",
            "project": str(scratch), "name": "tune", "exist_ok": False, "mode": "train"}
    # model.tune() with cleanup off (its own call, otherwise the same): every iteration's results.csv is kept
    Tuner(args=args, model=model.model, _callbacks=model.callbacks)(iterations=budget["trainings"], cleanup=False)
    elapsed = time.monotonic() - started
    records = [json.loads(line) for line in (scratch / "tune" / "tune_results.ndjson").read_text().splitlines()
               if line.strip()]
    csvs = [Path(d) / "results.csv" for r in records for d in (r.get("save_dirs") or {}).values()]
    fitness = [best_epoch_fitness_csv(path) if path.is_file() else 0.0 for path in csvs]
    return {"tune_s": round(elapsed, 1), "tune_best_fitness": round(max(fitness, default=0.0), 6),
            "tune_reported_fitness": max((r.get("fitness") or 0.0 for r in records), default=0.0),
            "tune_iterations": len(records), "tune_csvs_read": sum(path.is_file() for path in csvs)}


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
    repeats = int(os.environ.get("BENCH_SEARCH_REPEATS", "3"))
    client, dataset, data_yaml, device = _owner_and_dataset(run_dir, budget["images"], budget["imgsz"])
    control = WorkerProcess("default", default_worker_args()).start()
    results = []
    try:
        for repeat in range(repeats):  # interleaved, so load from other processes hits every side alike
            tune = _tune_run(data_yaml, run_dir / f"tune-{repeat}", budget, device)
            entry = dict(tune)
            for mode, how in MODES.items():
                args = gpu_worker_args()
                args[args.index("-c") + 1] = str(how["slots"])
                gpu = WorkerProcess("gpu", args).start()
                try:
                    search = _search_run(client, dataset, budget, prune=how["prune"])
                finally:
                    gpu.stop()
                entry[mode] = {**search, "time_ratio": round(search["search_s"] / tune["tune_s"], 3),
                               "fitness_goal_met": search["search_best_fitness"] >= tune["tune_best_fitness"]}
            results.append(entry)
    finally:
        control.stop()
    return {"budget": budget, "repeats": results, "device": "cpu" if device == "cpu" else f"cuda:{device}",
            "cpu_count": os.cpu_count()}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if "--inner" in sys.argv:
        result = _inner()
        print(MARKER + json.dumps(result, default=str), flush=True)
    else:
        print(json.dumps(main(), indent=2, default=str))
