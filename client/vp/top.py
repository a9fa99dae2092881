"""`vp top`: a live terminal dashboard (textual) of queues, hosts, running and finished jobs.

Keys: `l` a job's log (state, progress, error, result; a training's epochs), `c` cancel the selected job, `f` follow
a training's curves, `r` refresh now, `q` quit. The API is read in a thread (the client is synchronous), every
`refresh` seconds, and the tables redrawn from one snapshot (vp/top_data.py).
"""
from __future__ import annotations

import asyncio
import json

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Sparkline, Static

from .client import Client
from .top_data import Snapshot, snapshot
from .watch import STATE_STYLE, epochs_table, eta_text


class JobScreen(ModalScreen):
    """A job's log, or a training's curves (`follow`): redrawn while the job runs; escape closes it."""

    BINDINGS = [Binding("escape,q,l,f", "dismiss", "close")]
    DEFAULT_CSS = "JobScreen { align: center middle; } #box { width: 90%; height: 85%; border: round $accent; " \
                  "background: $surface; } Sparkline { height: 3; margin: 0 1; }"

    def __init__(self, client: Client, job_id: int, follow: bool):
        super().__init__()
        self.client, self.job_id, self.follow = client, job_id, follow

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="box"):
            yield Static(id="head")
            if self.follow:
                yield Static("mAP50-95", classes="label")
                yield Sparkline([], id="map")
                yield Static("box loss", classes="label")
                yield Sparkline([], id="loss")
            yield Static(id="body")

    async def on_mount(self):
        await self.reload()
        self.set_interval(2.0, self.reload)

    async def reload(self):
        job, run = await asyncio.to_thread(self._read)
        head = Text.assemble((f"job {job['id']} {job['kind']} ", "bold"), (job["state"], STATE_STYLE.get(job["state"],
                             "")), f"  {(job.get('progress') or 0):.0%}  ETA {eta_text(job.get('eta_seconds'))}  ",
                             (job.get("progress_message") or "", "dim"))
        self.query_one("#head", Static).update(head)
        body = self.query_one("#body", Static)
        epochs = (run or {}).get("epochs") or []
        if self.follow:
            self.query_one("#map", Sparkline).data = [e.get("map50_95") or 0.0 for e in epochs]
            self.query_one("#loss", Sparkline).data = [e.get("box_loss") or 0.0 for e in epochs]
            body.update(epochs_table(epochs, (run or {}).get("params", {}).get("epochs"), last=40) if run
                        else "not a training job: no curves")
            return
        lines = [f"error: {job['error']}" if job.get("error") else "", f"worker: {job.get('worker') or '–'}",
                 f"attempts: {job.get('attempts')}", f"created {job.get('created_at')}, started "
                 f"{job.get('started_at')}, finished {job.get('finished_at')}",
                 "result: " + json.dumps(job.get("result"), indent=2, default=str)[:4000]]
        body.update(Text("\n".join(line for line in lines if line)))

    def _read(self):
        job = self.client.job(self.job_id)
        run = None
        if job["kind"] == "training":
            run = next((r for r in self.client.training_runs(limit=200) if r["job"] == job["id"]), None)
            run = self.client.training_run(run["id"]) if run else None
        return job, run


class TopApp(App):
    TITLE = "vp top"
    BINDINGS = [Binding("q", "quit", "quit"), Binding("r", "refresh", "refresh"), Binding("l", "log", "job log"),
                Binding("c", "cancel", "cancel job"), Binding("f", "follow", "follow training")]
    DEFAULT_CSS = "DataTable { height: auto; max-height: 14; } .title { text-style: bold; margin: 1 0 0 1; } " \
                  "#status { margin: 0 1; } Horizontal { height: auto; } Horizontal > VerticalScroll { height: auto; }" \
                  " #queues-box { width: 46; } #hosts-box { width: 1fr; }"

    def __init__(self, client: Client, refresh: float = 2.0):
        super().__init__()
        self.client, self.refresh_seconds = client, refresh
        self.snap = Snapshot()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="status")
        with Horizontal():
            with VerticalScroll(id="queues-box"):
                yield Static("Queues", classes="title")
                yield DataTable(id="queues", cursor_type="none")
            with VerticalScroll(id="hosts-box"):
                yield Static("Hosts", classes="title", id="hosts-title")
                yield DataTable(id="hosts", cursor_type="none")
        yield Static("Running and queued jobs", classes="title")
        yield DataTable(id="running", cursor_type="row")
        yield Static("Latest finished jobs", classes="title")
        yield DataTable(id="finished", cursor_type="row")
        yield Footer()

    async def on_mount(self):
        self.query_one("#queues", DataTable).add_columns("queue", "workers", "queued", "running")
        self.query_one("#hosts", DataTable).add_columns("host", "state", "CPU", "memory", "GPUs", "procs", "last seen")
        self.query_one("#running", DataTable).add_columns("id", "kind", "state", "progress", "ETA", "message",
                                                          "owner", "worker")
        self.query_one("#finished", DataTable).add_columns("id", "kind", "state", "finished", "error", "owner")
        self.query_one("#running", DataTable).focus()
        await self.refresh_data()
        self.set_interval(self.refresh_seconds, self.refresh_data)

    async def refresh_data(self):
        self.snap = await asyncio.to_thread(snapshot, self.client)
        self._draw(self.snap)

    def _draw(self, snap: Snapshot):
        status = Text.assemble(("platform ", "bold"), (snap.status, "green" if snap.status == "ok" else "yellow"),
                               f"  {self.client.creds.url}")
        if snap.error:
            status.append(f"  error: {snap.error}", style="red")
        self.query_one("#status", Static).update(status)
        self.query_one("#hosts-title", Static).update(
            "Hosts" if snap.hosts_source == "api" else "Workers (busy; this platform has no /api/hosts/)")
        _fill(self.query_one("#queues", DataTable), [tuple(map(str, q)) for q in snap.queues])
        _fill(self.query_one("#hosts", DataTable), snap.hosts, height=None)
        _fill(self.query_one("#running", DataTable), [
            (str(j["id"]), j["kind"], Text(j["state"], style=STATE_STYLE.get(j["state"], "")), _bar(j.get("progress")),
             eta_text(j.get("eta_seconds")), (j.get("progress_message") or "")[:40], str(j.get("owner") or ""),
             str(j.get("worker") or "")) for j in snap.running], keys=[str(j["id"]) for j in snap.running])
        _fill(self.query_one("#finished", DataTable), [
            (str(j["id"]), j["kind"], Text(j["state"], style=STATE_STYLE.get(j["state"], "")),
             str(j.get("finished_at") or "")[11:19], (j.get("error") or "")[:50], str(j.get("owner") or ""))
            for j in snap.finished], keys=[str(j["id"]) for j in snap.finished])

    def selected_job(self) -> int | None:
        """The job under the cursor of the focused jobs table (running by default)."""
        table = self.focused if isinstance(self.focused, DataTable) and self.focused.id in ("running", "finished") \
            else self.query_one("#running", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(key.value)

    async def action_refresh(self):
        await self.refresh_data()

    async def action_cancel(self):
        job_id = self.selected_job()
        if job_id is None:
            return self.notify("no job selected", severity="warning")
        try:
            job = await asyncio.to_thread(self.client.job_cancel, job_id)
        except Exception as exc:
            return self.notify(f"cancel failed: {exc}", severity="error")
        self.notify(f"job {job_id}: cancel requested ({job.get('state')})")
        await self.refresh_data()

    def action_log(self):
        job_id = self.selected_job()
        if job_id is not None:
            self.push_screen(JobScreen(self.client, job_id, follow=False))

    def action_follow(self):
        job_id = self.selected_job()
        if job_id is not None:
            self.push_screen(JobScreen(self.client, job_id, follow=True))


def _bar(progress) -> str:
    value = float(progress or 0.0)
    filled = round(value * 12)
    return "█" * filled + "░" * (12 - filled) + f" {value:>4.0%}"


def _fill(table: DataTable, rows: list, keys: list[str] | None = None, height: int | None = 1):
    """Redraw the rows, keeping the cursor on the same job when it is still there (`height` None: as tall as the
    row's cells, a host's GPUs one per line)."""
    selected = None
    if keys is not None and table.row_count:
        selected = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    table.clear()
    for index, row in enumerate(rows):
        table.add_row(*row, key=keys[index] if keys else None, height=height)
    if selected is not None and keys and selected in keys:
        table.move_cursor(row=keys.index(selected))


def run_top(client: Client, refresh: float = 2.0):
    TopApp(client, refresh=refresh).run()
