"""The search collector: one row per individual (genome, fitness, latency, fate), a summary per generation, the
best individual and the Pareto front (the search a training run or model came from is origin.py's)."""
from searches.measures import WORST_LATENCY_MS
from searches.models import IndividualState, Search
from searches.selectors import search_get

from .common import (HIGHER, LOWER, dataset_facts, finding, iso, jobs_facts, metric, model_chain, model_facts, number,
                     plot, state_finding, table)

KIND = "search"
LABEL = "search"
INDIVIDUAL_COLUMNS = ["id", "generation", "number", "state", "fitness", "latency_ms", "elite", "pruned",
                      "pruned_at_epoch", "training_run", "error"]


def resolve(*, user, object_id: int) -> Search:
    return search_get(user=user, search_id=object_id)


def title_of(search: Search) -> str:
    start = search.preset or (f"{search.model.name} v{search.model.version}" if search.model_id else "?")
    return f"Search #{search.pk} ({start} on {search.dataset.name} v{search.dataset.version})"


def collect(*, obj: Search, user) -> dict:
    search = obj
    individuals = list(search.individuals.select_related("training_run").order_by("number"))
    genes = sorted({gene for i in individuals for gene in (i.hyperparameters or {})})
    rows = [{"id": i.pk, "generation": i.generation, "number": i.number, "state": i.state,
             "fitness": number(i.fitness), "latency_ms": number(i.latency_ms), "elite": i.elite, "pruned": i.pruned,
             "pruned_at_epoch": i.pruned_at_epoch, "training_run": i.training_run_id, "error": i.error,
             **{gene: (i.hyperparameters or {}).get(gene) for gene in genes}} for i in individuals]
    evaluated = [r for r in rows if r["state"] == IndividualState.SUCCEEDED and not r["elite"] and
                 r["fitness"] is not None]
    generations = []
    for generation in sorted({r["generation"] for r in rows}):
        members = [r for r in rows if r["generation"] == generation]
        scores = [r["fitness"] for r in members if r["fitness"] is not None and r["state"] == IndividualState.SUCCEEDED]
        generations.append({"generation": generation, "individuals": len(members), "evaluated": len(scores),
                            "best_fitness": max(scores) if scores else None,
                            "mean_fitness": sum(scores) / len(scores) if scores else None,
                            "pruned": sum(1 for r in members if r["pruned"]),
                            "failed": sum(1 for r in members if r["state"] == IndividualState.FAILED)})
    best = next((r for r in rows if r["id"] == search.best_id), None) or (
        max(evaluated, key=lambda r: (r["fitness"], -r["number"])) if evaluated else None)
    front_ids = [int(i) for i in (search.pareto or [])]
    front = [r for r in rows if r["id"] in front_ids]
    metrics = {"best_fitness": metric(label="best fitness", value=best["fitness"] if best else None, better=HIGHER),
               "evaluated": metric(label="individuals evaluated", value=len(evaluated), better=None, fmt="d")}
    if search.multi_objective:
        metrics["best_latency_ms"] = metric(label="latency of the best", value=best["latency_ms"] if best else None,
                                            better=LOWER, unit="ms", fmt=".1f")
    return {
        "title": title_of(search),
        "subject": {"kind": KIND, "id": search.pk, "params": dict(search.params or {}), "state": search.job.state,
                    "error": search.job.error or "", "objectives": search.objectives, "best_individual": search.best_id,
                    "best_model": search.best_model_id, "pareto": front_ids},
        "lineage": {"models": model_chain(search.best_model, user=user) if search.best_model_id else [],
                    "start_model": model_facts(search.model, user=user), "preset": search.preset,
                    "dataset": dataset_facts(search.dataset, user=user), "hyperparameters": dict(search.params or {}),
                    "search": None},
        "people": {"owner": search.owner.username, "created_at": iso(search.created_at)},
        "jobs": jobs_facts([search.job] + [i.training_run.job for i in individuals if i.training_run_id], user=user),
        "measured_on": {"worker": search.job.worker or None, "device": None, "host": None},
        "tables": {
            "individuals": table(title="Individuals (one per genome evaluated)",
                                 columns=[*INDIVIDUAL_COLUMNS, *genes], rows=rows,
                                 note="fitness = 0.1 mAP50 + 0.9 mAP50-95 of the best epoch; elites are copies "
                                      "carried over from the generation before."),
            "generations": table(title="Per generation", columns=["generation", "individuals", "evaluated",
                                                                  "best_fitness", "mean_fitness", "pruned", "failed"],
                                 rows=generations),
        },
        "metrics": metrics,
        "plots": _plots(rows, generations, front, search.multi_objective),
        "findings": _findings(search, rows, evaluated, generations, best, front),
    }


def _plots(rows, generations, front, multi) -> list[dict]:
    if not rows:
        return []
    scored = [r for r in rows if r["fitness"] is not None and not r["elite"]]
    plots = [plot(plot_id="fitness-per-generation", kind="scatter", title="Fitness per generation",
                  x_label="generation", y_label="fitness", series=[
                      {"name": "individuals", "x": [r["generation"] for r in scored],
                       "y": [r["fitness"] for r in scored]},
                      {"name": "best of generation", "connect": True,
                       "x": [g["generation"] for g in generations if g["best_fitness"] is not None],
                       "y": [g["best_fitness"] for g in generations if g["best_fitness"] is not None]}])]
    def measured(r) -> bool:  # a failed or pruned individual is told WORST_LATENCY_MS: not a point to draw
        return r["latency_ms"] is not None and r["latency_ms"] < WORST_LATENCY_MS

    timed = [r for r in scored if measured(r)]
    if multi and timed:
        on_front = sorted((r for r in front if measured(r)), key=lambda r: r["latency_ms"])
        plots.append(plot(plot_id="pareto-front", kind="scatter", title="Pareto front: fitness against latency",
                          x_label="latency (ms)", y_label="fitness", series=[
                              {"name": "individuals", "x": [r["latency_ms"] for r in timed],
                               "y": [r["fitness"] for r in timed]},
                              {"name": "Pareto front", "connect": True, "x": [r["latency_ms"] for r in on_front],
                               "y": [r["fitness"] for r in on_front],
                               "labels": [f"#{r['number']}" for r in on_front]}]))
    return plots


def _findings(search, rows, evaluated, generations, best, front) -> list[dict]:
    found = [f for f in [state_finding(what="search", job=search.job)] if f]
    found.append(finding("green" if evaluated else "red",
                         f"{len(evaluated)} genomes were evaluated over {len(generations)} of "
                         f"{search.params.get('generations', '?')} generations."))
    if best is not None:
        text = f"The best is individual #{best['number']} (generation {best['generation']}) with fitness {best['fitness']:.3f}"
        if best["latency_ms"] is not None:
            text += f" at {best['latency_ms']:.1f} ms"
        if search.best_model_id:
            text += f"; its model is {search.best_model.name} v{search.best_model.version} (id {search.best_model_id})"
        found.append(finding("green" if best["fitness"] > 0 else "amber", text + "."))
    if len(generations) > 1 and generations[0]["best_fitness"] is not None and generations[-1]["best_fitness"] is not None:
        first, last = generations[0]["best_fitness"], generations[-1]["best_fitness"]
        found.append(finding("green" if last > first else "amber",
                             f"The best fitness went from {first:.3f} in generation 1 to {last:.3f} in generation "
                             f"{generations[-1]['generation']}."))
    if search.multi_objective:
        found.append(finding("green" if front else "grey", f"{len(front)} individuals are on the Pareto front "
                                                           "(none is both more accurate and faster than them)."))
    failed = [r for r in rows if r["state"] == IndividualState.FAILED]
    if failed:
        found.append(finding("red", f"{len(failed)} individual(s) failed: " + "; ".join(
            f"#{r['number']} ({r['error'] or 'no reason given'})" for r in failed[:5]) + "."))
    pruned = sum(1 for r in rows if r["pruned"])
    if pruned:
        found.append(finding("grey", f"{pruned} individual(s) were stopped early because they trailed the others."))
    return found
