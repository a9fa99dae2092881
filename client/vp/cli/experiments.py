"""`vp bench` (engines measured, the selected one highlighted), `vp search` (generations as they finish, the Pareto
front) and `vp report` (a report on a model, benchmark, training run or search, with its signed links)."""
from __future__ import annotations

import os
import re
import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from ..errors import JobFailed
from .common import JsonOpt, TargetOpt, client, emit, err, handled, out, parse_target, short
from .train import parse_pairs

REPORT_SUBJECTS = {"benchmark": "benchmark", "training": "training_run", "training_run": "training_run",
                   "search": "search", "model": "model"}


@handled
def bench(model: Annotated[str, typer.Argument(help="Model id or name.")],
          engines: Annotated[str, typer.Option(help="auto, or a comma-separated list.")] = "auto",
          max_p95: Annotated[Optional[float], typer.Option(help="Constraint: p95 latency in ms.")] = None,
          max_p99: Annotated[Optional[float], typer.Option(help="Constraint: p99 latency in ms.")] = None,
          min_fps: Optional[float] = None,
          objective: Annotated[Optional[str], typer.Option(help="p95, p50, fps, ...")] = None,
          apply: Annotated[bool, typer.Option("--apply", help="Serve with the selected engine.")] = False,
          imgsz: Optional[int] = None, warmup: Optional[int] = None, iterations: Optional[int] = None,
          batch: Annotated[Optional[list[int]], typer.Option(help="A batch size (repeat).")] = None,
          dataset: Annotated[Optional[str], typer.Option(help="Score accuracy on this dataset.")] = None,
          target: TargetOpt = None,
          as_json: JsonOpt = False):
    """Benchmark a model on every engine the workers can run; pick (and --apply) the best that meets the limits."""
    routing = parse_target(target)
    c = client()
    found = c.model_resolve(model)
    constraints = {k: v for k, v in dict(max_p95_ms=max_p95, max_p99_ms=max_p99, min_fps=min_fps).items()
                   if v is not None}
    params = {k: v for k, v in dict(imgsz=imgsz, warmup=warmup, iterations=iterations, batch_sizes=batch,
                                    objective=objective).items() if v is not None}
    if dataset:
        params["dataset"] = c.dataset_resolve(dataset)["id"]
    if routing:
        params["target"] = routing
    run = c.benchmark_start(model=found["id"], engines=engines if engines == "auto" else engines.split(","),
                            constraints=constraints, apply=apply, **params)
    if not as_json:
        err().print(f"benchmark {run['id']} (job {run['job']}) queued; measuring…")
    c.job_wait(run["job"], on_update=None if as_json else _status_printer())
    run = c.benchmark(run["id"])
    if as_json:
        return emit(run)
    out().print(benchmark_table(run))
    unavailable = [r for r in run.get("results") or [] if r.get("status") == "unavailable"]
    if unavailable:
        out().print("unavailable here: " + ", ".join(f"{r['engine']} ({r.get('precision') or '?'})"
                                                      for r in unavailable) + " (why: --json)", style="dim")
    selected = run.get("selected") or {}
    verdict = f"[bold green]{selected['engine']}[/]" if selected.get("engine") else "[red]no engine[/]"
    out().print(f"selected {verdict}: {selected.get('reason', '')}" + (" (applied)" if run.get("applied") else ""))


def _status_printer():
    """A line per new stage of the job (a message that only counts seconds up is one stage)."""
    last = [None]

    def line(job: dict):
        message = job.get("progress_message") or ""
        stage = re.sub(r"[\d.]+", "#", message)
        if stage != last[0]:
            last[0] = stage
            err().print(f"  {job.get('progress') or 0:.0%} {message}", highlight=False, markup=False)

    return line


def benchmark_table(run: dict) -> Table:
    selected = run.get("selected") or {}
    table = Table("engine", "precision", "batch", "status", "p50 ms", "p95 ms", "p99 ms", "FPS", "mAP50-95",
                  "note", title=f"benchmark {run['id']} of model {run['model']}")
    for r in [r for r in run.get("results") or [] if r.get("status") != "unavailable"]:
        chosen = (r["engine"] == selected.get("engine") and r.get("precision") == selected.get("precision"))
        table.add_row(("★ " if chosen else "") + r["engine"], str(r.get("precision") or ""), str(r.get("batch_size")),
                      r.get("status", ""), short(r.get("p50_ms")), short(r.get("p95_ms")), short(r.get("p99_ms")),
                      short(r.get("fps")), short(r.get("map50_95")), (r.get("reason") or "")[:60],
                      style="bold green" if chosen else ("dim" if r.get("status") != "measured" else None))
    return table


@handled
def search(dataset: Annotated[str, typer.Option(help="Dataset id or name.")],
           preset: Optional[str] = None, model: Optional[str] = None,
           epochs: Optional[int] = None, imgsz: Optional[int] = None, batch: Optional[int] = None,
           population: Optional[int] = None, generations: Optional[int] = None, elitism: Optional[int] = None,
           seed: Optional[int] = None,
           space: Annotated[Optional[list[str]], typer.Option(
               help='A gene, KEY=RANGE as JSON: lr0=[0.0001,0.1,"log"] (repeat); none: the default space.')] = None,
           watch: Annotated[bool, typer.Option("--watch", help="Print generations as they finish.")] = False,
           as_json: JsonOpt = False):
    """A genetic hyperparameter search: each individual is a training run."""
    c = client()
    params = {k: v for k, v in dict(preset=preset, epochs=epochs, imgsz=imgsz, batch=batch, population=population,
                                    generations=generations, elitism=elitism, seed=seed).items() if v is not None}
    if model:
        params["model"] = c.model_resolve(model)["id"]
    if space:
        params["space"] = parse_pairs(space, "--space")
    found = c.search_start(dataset=c.dataset_resolve(dataset)["id"], **params)
    if not watch:
        return emit(found) if as_json else out().print(
            f"search [bold]{found['id']}[/] started (job {found['job']}); follow it: vp jobs watch {found['job']}")
    printed: set[int] = set()

    def generations_done(job: dict):
        detail = c.search(found["id"])
        for gen in sorted({i["generation"] for i in detail["individuals"]}):
            members = [i for i in detail["individuals"] if i["generation"] == gen]
            if gen not in printed and all(i["state"] not in ("training", "measuring") for i in members):
                printed.add(gen)
                if not as_json:
                    out().print(_generation_table(gen, members))

    job = c.job_wait(found["job"], on_update=generations_done, raise_on_failure=False)
    generations_done(job)
    detail = c.search(found["id"])
    if job["state"] != "SUCCEEDED":
        raise JobFailed(job)
    if as_json:
        return emit(detail)
    out().print(_generation_table("Pareto front", detail.get("pareto_front") or []))
    best = detail.get("best") or {}
    out().print(f"best: {best.get('hyperparameters')} fitness {short(best.get('fitness'))}; "
                f"model {detail.get('best_model') or '–'}")


def _generation_table(title, individuals: list[dict]) -> Table:
    table = Table("#", "state", "fitness", "latency ms", "hyperparameters",
                  title=f"generation {title}" if isinstance(title, int) else title)
    for i in sorted(individuals, key=lambda i: -(i.get("fitness") or 0)):
        genes = ", ".join(f"{k}={short(v)}" for k, v in (i.get("hyperparameters") or {}).items())
        table.add_row(str(i.get("number")), i.get("state", ""), short(i.get("fitness")), short(i.get("latency_ms")),
                      genes + (" (elite)" if i.get("elite") else ""))
    return table


@handled
def report(subject: Annotated[str, typer.Argument(help="A model (id or name), or benchmark|training|search|model.")],
           subject_id: Annotated[Optional[int], typer.Argument(help="The id, after a kind.")] = None,
           open_: Annotated[bool, typer.Option("--open", help="Print (and open) the signed link.")] = False,
           title: Optional[str] = None, as_json: JsonOpt = False):
    """Build a report and print its links (signed: they open without a login for a day)."""
    c = client()
    if subject in REPORT_SUBJECTS:
        if subject_id is None:
            raise typer.BadParameter(f"`vp report {subject} N`: which {subject}?", param_hint="SUBJECT_ID")
        kind, ident = REPORT_SUBJECTS[subject], subject_id
    else:
        kind, ident = "model", c.model_resolve(subject)["id"]
    created = c.report_create(kind, ident, **({"title": title} if title else {}))
    c.job_wait(created["job"])
    found = c.report(created["id"])
    if as_json:
        return emit(found)
    links = found.get("links") or {}
    out().print(f"report [bold]{found['id']}[/] on {kind} {ident}")
    for name, link in links.items():
        out().print(f"  {name:>9}: {link}", soft_wrap=True)
    if open_ and links.get("simple"):
        out().print(f"open: {links['simple']}", soft_wrap=True)
        if os.environ.get("DISPLAY") or sys.platform == "darwin":
            import webbrowser

            webbrowser.open(links["simple"])
