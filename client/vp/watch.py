"""What `vp train --watch` shows while a training runs: the per-epoch table and a progress bar with the ETA, built
from the training run and its job (the job event stream says when to redraw). Pure functions of the API's JSON,
so the docs' screenshot is drawn by the same code (rich's Console(record=True).save_svg)."""
from __future__ import annotations

from rich.console import Group
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

EPOCH_COLUMNS = [("epoch", "epoch"), ("box_loss", "box"), ("cls_loss", "cls"), ("dfl_loss", "dfl"),
                 ("precision", "P"), ("recall", "R"), ("map50", "mAP50"), ("map50_95", "mAP50-95")]
STATE_STYLE = {"SUCCEEDED": "green", "FAILED": "red", "CANCELLED": "yellow", "RUNNING": "cyan", "QUEUED": "white"}


def _cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def eta_text(seconds) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def epochs_table(epochs: list[dict], total: int | None = None, last: int = 15) -> Table:
    """The last `last` epochs (a long run scrolls), the best mAP50-95 so far in bold."""
    best = max((e.get("map50_95") or 0 for e in epochs), default=None)
    table = Table(*(label for _, label in EPOCH_COLUMNS), title_justify="left", expand=False)
    for row in epochs[-last:]:
        style = "bold green" if best and row.get("map50_95") == best else None
        cells = [_cell(row.get(key)) for key, _ in EPOCH_COLUMNS]
        cells[0] = f"{row['epoch']}/{total}" if total else str(row["epoch"])
        table.add_row(*cells, style=style)
    return table


def training_view(run: dict, job: dict) -> Group:
    params = run.get("params") or {}
    total = params.get("epochs")
    state = job.get("state", run.get("state", "QUEUED"))
    progress = float(job.get("progress") or 0.0)
    title = Text.assemble(("training run ", "bold"), (str(run["id"]), "bold"), f" {run.get('name') or ''} · ",
                          (state, STATE_STYLE.get(state, "")), f" · job {job.get('id', run.get('job'))}")
    bar = Table.grid(padding=(0, 1))
    bar.add_row(ProgressBar(total=1.0, completed=progress, width=40), f"{progress:>4.0%}",
                f"ETA {eta_text(job.get('eta_seconds'))}", Text(job.get("progress_message") or "", style="dim"))
    parts = [title, epochs_table(run.get("epochs") or [], total), bar]
    if job.get("error"):
        parts.append(Text(f"error: {job['error']}", style="red"))
    return Group(*parts)
