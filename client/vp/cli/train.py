"""`vp train`: start a training run; `--watch` follows it live (per-epoch table, progress, ETA) and Ctrl-C asks
whether to cancel the job."""
from __future__ import annotations

from typing import Annotated, Optional

import click
import typer
from rich.live import Live

from ..errors import JobFailed
from ..watch import training_view
from .common import JsonOpt, TargetOpt, client, emit, err, handled, out, parse_target, short


def parse_pairs(pairs: list[str] | None, option: str) -> dict:
    """KEY=VALUE options (`--hyp lr0=0.01`), values read as JSON where they parse (numbers, true, lists)."""
    import json

    found = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint=option)
        key, value = pair.split("=", 1)
        try:
            found[key] = json.loads(value)
        except ValueError:
            found[key] = value
    return found


@handled
def train(dataset: Annotated[str, typer.Option(help="Dataset id or name.")],
          preset: Annotated[Optional[str], typer.Option(help="An architecture from scratch, e.g. yolov8n.")] = None,
          model: Annotated[Optional[str], typer.Option(help="Fine-tune this model (id or name) instead.")] = None,
          epochs: Optional[int] = None, imgsz: Optional[int] = None, batch: Optional[int] = None,
          seed: Optional[int] = None, patience: Optional[int] = None,
          name: Annotated[Optional[str], typer.Option(help="The result model's name.")] = None,
          hyp: Annotated[Optional[list[str]], typer.Option(help="A hyperparameter, KEY=VALUE (repeat).")] = None,
          watch: Annotated[bool, typer.Option("--watch", help="Follow it live until it ends.")] = False,
          target: TargetOpt = None,
          as_json: JsonOpt = False):
    """Train a detector on the gpu queue (or on the host --target picks)."""
    if not preset and not model:
        raise typer.BadParameter("give --preset (from scratch) or --model (fine-tune)", param_hint="--preset")
    routing = parse_target(target)
    c = client()
    ds = c.dataset_resolve(dataset)
    parent = c.model_resolve(model)["id"] if model else None
    params = {k: v for k, v in dict(epochs=epochs, imgsz=imgsz, batch=batch, seed=seed, patience=patience,
                                    name=name).items() if v is not None}
    if hyp:
        params["hyperparameters"] = parse_pairs(hyp, "--hyp")
    if routing:
        params["target"] = routing
    run = c.training_start(dataset=ds["id"], preset=preset, model=parent, **params)
    if not watch:
        return emit(run) if as_json else out().print(
            f"training run [bold]{run['id']}[/] started (job {run['job']})"
            + (f" on host {run['routed_to']}" if run.get("routed_to") else "")
            + f"; follow it: vp jobs watch {run['job']}")
    job = follow(c, run, quiet=as_json)
    run = c.training_run(run["id"])
    if job["state"] != "SUCCEEDED":
        raise JobFailed(job)
    if as_json:
        return emit(run)
    metrics = run.get("final_metrics") or {}
    out().print(f"[green]done[/]: model [bold]{run.get('result_model')}[/]; "
                f"mAP50 {short(metrics.get('map50'))}, mAP50-95 {short(metrics.get('map50_95'))}")


def follow(c, run: dict, *, quiet: bool = False) -> dict:
    """Wait for the run's job, redrawing on every event; Ctrl-C asks whether to cancel it (no: keep watching)."""
    job_id = run["job"]
    while True:
        try:
            if quiet:
                return c.job_wait(job_id, raise_on_failure=False)
            job = c.job(job_id)
            with Live(training_view(run, job), console=out(), refresh_per_second=4) as live:
                def redraw(update: dict):
                    live.update(training_view(c.training_run(run["id"]), update))

                job = c.job_wait(job_id, on_update=redraw, raise_on_failure=False)
                live.update(training_view(c.training_run(run["id"]), job))
            if not live.console.is_terminal:  # the last frame is printed without its line end there
                live.console.line()
            return job
        except KeyboardInterrupt:
            _ask_cancel(c, job_id)  # yes: the cancel is requested and the watch goes on until the job stops


def _ask_cancel(c, job_id: int) -> bool:
    try:
        cancel = typer.confirm(f"\ncancel job {job_id}?", default=False, err=True)
    except (click.Abort, KeyboardInterrupt, EOFError):
        err().print(f"left running: vp jobs watch {job_id}")
        raise typer.Exit(130) from None
    if cancel:
        c.job_cancel(job_id)
        err().print(f"cancel requested for job {job_id}; waiting for it to stop")
    return cancel
