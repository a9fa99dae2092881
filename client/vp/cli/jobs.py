"""`vp jobs`: list, show, watch and cancel jobs."""
from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ..errors import JobFailed
from ..watch import STATE_STYLE, eta_text
from .common import JsonOpt, client, emit, err, handled, out

jobs_app = typer.Typer(help="Jobs: every long operation (training, conversion, benchmark, search, report).")


@jobs_app.callback(invoke_without_command=True)
@handled
def jobs_list(ctx: typer.Context, state: Annotated[Optional[str], typer.Option(help="QUEUED, RUNNING, ...")] = None,
              kind: Annotated[Optional[str], typer.Option(help="training, conversion, benchmark, ...")] = None,
              limit: int = 20, as_json: JsonOpt = False):
    """Your latest jobs (admins: everyone's)."""
    if ctx.invoked_subcommand:
        return
    rows = client().jobs(state=state, kind=kind, limit=limit)
    if as_json:
        return emit(rows)
    table = Table("id", "kind", "state", "progress", "ETA", "message", "owner", "created")
    for j in rows:
        table.add_row(str(j["id"]), j["kind"], f"[{STATE_STYLE.get(j['state'], '')}]{j['state']}[/]",
                      f"{(j.get('progress') or 0):.0%}", eta_text(j.get("eta_seconds")) if j["state"] == "RUNNING"
                      else "", (j.get("error") or j.get("progress_message") or "")[:50], str(j.get("owner", "")),
                      (j.get("created_at") or "")[:19].replace("T", " "))
    out().print(table)


@jobs_app.command("show")
@handled
def jobs_show(job_id: int, as_json: JsonOpt = False):
    """One job with its result or error; exit 1 when it failed."""
    job = client().job(job_id)
    if as_json:
        emit(job)
    else:
        for key in ("id", "kind", "state", "progress", "progress_message", "error", "worker", "attempts",
                    "created_at", "started_at", "finished_at", "result"):
            out().print(f"{key:>16}: {job.get(key)}", soft_wrap=True, markup=False)
    if job["state"] in ("FAILED", "CANCELLED"):
        raise typer.Exit(1)


@jobs_app.command("watch")
@handled
def jobs_watch(job_id: int, as_json: JsonOpt = False):
    """Follow a job's progress until it ends (the event stream); exit 1 when it fails."""
    c = client()

    def line(job: dict):
        if not as_json:
            err().print(f"job {job['id']} {job['state']} {(job.get('progress') or 0):.0%} "
                        f"ETA {eta_text(job.get('eta_seconds'))} {job.get('progress_message') or ''}", markup=False)

    job = c.job_wait(job_id, on_update=line, raise_on_failure=False)
    if as_json:
        emit(job)
    if job["state"] != "SUCCEEDED":
        raise JobFailed(job)
    if not as_json:
        out().print(f"job {job_id} [green]SUCCEEDED[/]")


@jobs_app.command("cancel")
@handled
def jobs_cancel(job_id: int, as_json: JsonOpt = False):
    """Cancel a job: a queued one never starts, a running one stops at its next checkpoint."""
    job = client().job_cancel(job_id)
    emit(job) if as_json else out().print(f"job {job_id}: cancel requested ({job.get('state')})")
