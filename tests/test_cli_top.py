"""`vp top` under textual's own pilot, reading the real API of a live server: it renders the queues and jobs,
updates when a job moves, cancels the selected job on `c`, and opens a job's log (`l`) and a training's curves
(`f`). Jobs move through the real lifecycle (jobs/lifecycle.py), as a worker moves them."""
import asyncio

import pytest
from textual.widgets import DataTable, Static

from jobs import lifecycle
from jobs.models import Job
from tests.support.rows import job_row, training_run_row
from vp import Client
from vp.top import JobScreen, TopApp

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(live_server, alice):
    from accounts.services import api_token_create

    _, raw = api_token_create(user=alice, name="top")
    return Client(live_server.url, token=raw)


def _cells(app: TopApp, table: str) -> list[list[str]]:
    widget = app.query_one(f"#{table}", DataTable)
    return [[str(cell) for cell in widget.get_row_at(i)] for i in range(widget.row_count)]


def _run(coroutine):
    return asyncio.run(coroutine)


async def _until(pilot, predicate, timeout: float = 20.0):
    """The dashboard reads the API in a thread: wait for what it draws, on a machine as busy as it may be."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "the dashboard did not update in time"
        await pilot.pause(0.1)


def test_it_renders_updates_when_a_job_moves_and_cancels_on_its_key(client, alice):
    queued = job_row(owner=alice, kind="training", state="QUEUED")
    finished = job_row(owner=alice, kind="conversion", state="FAILED")
    Job.objects.filter(pk=finished.pk).update(error="TensorRT conversion is unavailable")
    Job.objects.filter(pk=queued.pk).update(celery_task_id="t-1")  # what a worker claims it with

    async def scenario():
        app = TopApp(client, refresh=60)  # refreshed by the test, not the clock
        async with app.run_test(size=(160, 50)) as pilot:
            await _until(pilot, lambda: _cells(app, "running") and _cells(app, "finished"))
            running = _cells(app, "running")
            assert [row[:3] for row in running] == [[str(queued.pk), "training", "QUEUED"]]
            assert any(row[0] == "default" and row[2] == "1" for row in _cells(app, "queues")), _cells(app, "queues")
            assert _cells(app, "finished")[0][:3] == [str(finished.pk), "conversion", "FAILED"]
            assert "TensorRT" in _cells(app, "finished")[0][4]

            await asyncio.to_thread(lifecycle.job_claim, job_id=queued.pk, worker="gpu@test", task_id="t-1")
            await asyncio.to_thread(lifecycle.job_set_progress, job_id=queued.pk, fraction=0.5,
                                    message="epoch 1/2", eta_seconds=30)
            await pilot.press("r")
            await _until(pilot, lambda: _cells(app, "running")[0][2] == "RUNNING")
            row = _cells(app, "running")[0]
            assert row[2] == "RUNNING" and "50%" in row[3] and row[4] == "30s" and row[5] == "epoch 1/2", row
            if app.snap.hosts_source == "jobs":  # no /api/hosts/ here: the workers seen in running jobs
                assert any(host[0] == "gpu@test" for host in _cells(app, "hosts"))

            await pilot.press("c")
            await pilot.pause()
            await app.refresh_data()
            return app

    _run(scenario())
    job = Job.objects.get(pk=queued.pk)
    assert job.cancel_requested and job.state == "RUNNING"
    assert lifecycle.job_mark_cancelled(job_id=job.pk)  # what its worker does at its next checkpoint


def test_it_opens_a_jobs_log_and_a_trainings_curves(client, alice):
    from training.models import TrainingEpoch

    run = training_run_row(owner=alice)
    Job.objects.filter(pk=run.job_id).update(state="RUNNING", progress=0.5, progress_message="epoch 2/3")
    for epoch, value in ((1, 0.1), (2, 0.3)):
        TrainingEpoch.objects.create(run=run, epoch=epoch, box_loss=1.0 / epoch, map50_95=value)

    async def scenario():
        app = TopApp(client, refresh=60)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            await pilot.press("f")
            await pilot.pause(0.5)
            screen = app.screen
            assert isinstance(screen, JobScreen) and screen.follow
            for _ in range(20):  # the screen reads the API in a thread
                if screen.query_one("#map").data:
                    break
                await pilot.pause(0.1)
            assert list(screen.query_one("#map").data) == [0.1, 0.3]
            await pilot.press("escape")
            await pilot.press("l")
            await pilot.pause(0.5)
            assert isinstance(app.screen, JobScreen) and not app.screen.follow
            head = app.screen.query_one("#head", Static)
            for _ in range(20):
                if "RUNNING" in str(head.render()):
                    break
                await pilot.pause(0.1)
            assert f"job {run.job_id} training RUNNING" in str(head.render())

    _run(scenario())
    Job.objects.filter(pk=run.job_id).update(state="SUCCEEDED")  # no worker runs it: end it as one would


def test_the_hosts_table_shows_the_registered_hosts_where_the_platform_lists_them(client, gpu_worker):
    """Where /api/hosts/ exists (the hosts app), a running worker's host is listed with its CPU and GPUs."""
    from vp.top_data import snapshot

    if client.hosts() is None:
        pytest.skip("this platform has no /api/hosts/ (vp top falls back to the workers of running jobs)")
    from tests.waiting import wait_for

    wait_for(lambda: client.hosts(), timeout=30, interval=0.5, message="a registered host")
    snap = snapshot(client)
    assert snap.hosts_source == "api" and snap.hosts and "cores" in snap.hosts[0][2], snap.hosts


def test_the_hosts_panel_shows_each_hosts_live_cpu_memory_and_gpu_usage(client, settings, monkeypatch):
    """A real HostHeartbeat beats in this process (NVML faked: no GPU here): the panel shows its CPU percent, memory
    and the GPU's utilisation, memory and temperature, and a newer sample at the next refresh."""
    from hosts.registration import HostHeartbeat
    from tests.support.nvml import fake_nvml

    settings.HOST_NAME = "top-usage"
    fake_nvml(monkeypatch, [{"name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559, "memory_used_mb": 10240,
                             "utilization": 42, "temperature": 55}])
    heartbeat = HostHeartbeat(role="gpu", engines=False).start()

    def row(app):
        return next((r for r in _cells(app, "hosts") if r[0] == "top-usage"), None)

    async def scenario():
        app = TopApp(client, refresh=60)
        async with app.run_test(size=(200, 50)) as pilot:
            await _until(pilot, lambda: row(app))
            first = row(app)
            assert first[1] == "live" and "GiB" in first[3], first
            assert first[4] == "H100 80GB HBM3 42% 10.0/80 GiB 55°C", first
            await asyncio.sleep(1.2)  # a couple of beats (0.5 s in the suite): the CPU share is measured by now
            await pilot.press("r")
            await _until(pilot, lambda: row(app)[6] > first[6] and "%" in row(app)[2])

    try:
        _run(scenario())
    finally:
        heartbeat.stop()
