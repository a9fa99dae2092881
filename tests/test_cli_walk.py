"""The README's walk done with `vp` commands only, in-process (typer's CliRunner) against the real platform: a live
server, real gpu and default Celery workers and a real inference pool. `--json` answers are parsed and exit codes
checked; a bad token is exit 3, a failed job exit 1 with its error."""
import json
import os
import time
import zipfile

import pytest
from typer.testing import CliRunner
from vp.cli import app

from conftest import PASSWORD
from inference.tests.conftest import start_pool
from jobs.models import Job

pytestmark = pytest.mark.workers


@pytest.fixture(scope="module")
def pool(_database_sessions_closed):
    process = start_pool(f"cli-{int(time.time())}")
    yield process
    process.stop()


@pytest.fixture
def vp(live_server, tmp_path, monkeypatch):
    """`vp(*args)`: (exit code, stdout, stderr), the CLI pointed at the live server with its own config dir."""
    monkeypatch.setenv("VP_URL", live_server.url)
    monkeypatch.setenv("VP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("VP_TOKEN", raising=False)
    runner = CliRunner()

    def run(*args: str, env: dict | None = None):
        result = runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def _json(answer) -> dict | list:
    code, stdout, stderr = answer
    assert code == 0, (code, stdout, stderr)
    return json.loads(stdout)


def test_the_readme_walk_with_vp_commands(alice, gpu_worker, default_worker, pool, vp, tmp_path):
    from registry.datasets.demo_data import demo_dataset_zip

    code, stdout, _ = vp("login", "--username", "alice", "--password", PASSWORD)
    assert code == 0 and "alice" in stdout
    stored = tmp_path / "config" / "credentials.json"
    assert stored.stat().st_mode & 0o777 == 0o600 and '"refresh"' in stored.read_text()
    assert _json(vp("whoami", "--json"))["role"] == "engineer"

    archive = tmp_path / "shapes-walk.zip"
    archive.write_bytes(demo_dataset_zip(images=32, imgsz=64, seed=1))
    code, stdout, _ = vp("datasets", "upload", archive)  # the human output: the validation report as a table
    assert code == 0 and "validation report" in stdout and "train" in stdout, stdout
    dataset = _json(vp("datasets", "show", "shapes-walk", "--json"))
    assert dataset["num_images"] == 32

    code, stdout, stderr = vp("train", "--dataset", "shapes-walk", "--preset", "yolov8n", "--epochs", "2",
                              "--imgsz", "64", "--batch", "8", "--name", "walk-detector", "--watch")
    assert code == 0, stdout + stderr
    assert "mAP50-95" in stdout and "done" in stdout  # the live per-epoch table, then the result
    run = _json(vp("train", "--dataset", str(dataset["id"]), "--preset", "yolov8n", "--epochs", "1", "--imgsz",
                   "64", "--batch", "8", "--name", "walk-detector-2", "--watch", "--json"))
    assert run["state"] == "SUCCEEDED" and len(run["epochs"]) == 1 and run["result_model"]

    conversion = _json(vp("convert", "walk-detector", "--target", "onnx", "--imgsz", "64", "--dynamic", "--json"))
    assert conversion["state"] == "SUCCEEDED" and conversion["parity"]["passed"]

    with zipfile.ZipFile(archive) as zipped:
        member = next(n for n in zipped.namelist() if n.startswith("images/val/"))
        image = tmp_path / "val.jpg"
        image.write_bytes(zipped.read(member))
    drawn = tmp_path / "boxes.jpg"
    prediction = _json(vp("predict", "walk-detector", image, "--save", drawn, "--json"))
    assert prediction["engine"] and prediction["results"][0]["width"] == 64 and drawn.stat().st_size > 0

    code, stdout, stderr = vp("bench", "walk-detector", "--engines", "auto", "--imgsz", "64", "--batch", "1",
                              "--warmup", "2", "--iterations", "10", "--max-p95", "1000", "--apply")
    assert code == 0 and "selected" in stdout and "★" in stdout, stdout + stderr
    benchmarks = _json(vp("jobs", "--kind", "benchmark", "--json"))
    assert benchmarks[0]["state"] == "SUCCEEDED"

    search = _json(vp("search", "--dataset", "shapes-walk", "--preset", "yolov8n", "--epochs", "1", "--imgsz", "64",
                      "--batch", "8", "--population", "2", "--generations", "1", "--elitism", "1",
                      "--space", 'lr0=[0.0001, 0.1, "log"]', "--watch", "--json"))
    assert search["state"] == "SUCCEEDED" and len(search["individuals"]) == 2

    code, stdout, _ = vp("report", "walk-detector", "--open")
    assert code == 0 and "sig=" in stdout, stdout
    report = _json(vp("report", "benchmark", str(_benchmark_id()), "--json"))
    assert report["state"] == "SUCCEEDED" and "simple" in report["links"]

    jobs = _json(vp("jobs", "--json", "--limit", "50"))
    assert {j["kind"] for j in jobs} >= {"training", "conversion", "benchmark", "search", "report"}
    assert _json(vp("jobs", "show", str(run["job"]), "--json"))["state"] == "SUCCEEDED"


def _benchmark_id() -> int:
    from benchmarks.models import BenchmarkRun

    return BenchmarkRun.objects.latest("id").pk


def test_a_failed_job_exits_1_with_its_error(alice, gpu_worker, vp, tiny_model):
    vp("login", "--username", "alice", "--password", PASSWORD)
    code, stdout, stderr = vp("convert", str(tiny_model.pk), "--target", "tensorrt", "--imgsz", "64")
    assert code == 1, stdout + stderr
    assert "FAILED" in stderr and "TensorRT conversion is unavailable" in stderr
    failed = json.loads(vp("convert", str(tiny_model.pk), "--target", "tensorrt", "--imgsz", "64", "--json")[1])
    assert failed["state"] == "FAILED" and "unavailable" in failed["error"]


def test_bad_credentials_exit_3_with_a_clear_message(alice, vp):
    code, _, stderr = vp("jobs", env={"VP_TOKEN": "vp_not-a-real-token"})
    assert code == 3 and "Unknown API token" in stderr
    code, _, stderr = vp("login", "--username", "alice", "--password", "wrong")
    assert code == 3 and "authentication failed" in stderr
    code, _, stderr = vp("jobs")
    assert code == 3 and "vp login" in stderr  # never logged in


def test_bad_usage_exits_2(alice, vp):
    vp("login", "--username", "alice", "--password", PASSWORD)
    assert vp("train", "--dataset", "nope", "--preset", "yolov8n")[0] == 2  # no such dataset: 404
    code, stdout, _ = vp("jobs", "--state", "SLEEPING", "--json")
    assert code == 2 and "state" in json.loads(stdout)["detail"]
    assert vp("jobs", "--limit", "lots")[0] == 2  # typer's own usage error


def test_a_personal_token_drives_the_cli_and_dies_when_revoked(alice, vp):
    vp("login", "--username", "alice", "--password", PASSWORD)
    created = _json(vp("tokens", "create", "ci", "--days", "30", "--json"))
    env = {"VP_TOKEN": created["token"]}
    assert _json(vp("whoami", "--json", env=env))["username"] == "alice"
    listed = _json(vp("tokens", "list", "--json"))
    assert [t["id"] for t in listed] == [created["id"]] and listed[0]["last_used_at"]
    assert vp("tokens", "revoke", str(created["id"]))[0] == 0
    code, _, stderr = vp("whoami", env=env)
    assert code == 3 and "revoked" in stderr


def test_ctrl_c_during_watch_asks_and_cancels_the_job(alice, gpu_worker, live_server, demo_dataset, tmp_path):
    """A real `vp train --watch` process: SIGINT while it trains asks "cancel job N?"; yes cancels it (exit 1)."""
    import signal
    import subprocess
    import sys

    from tests.environment import ROOT
    from tests.waiting import wait_for

    env = {**os.environ, "VP_URL": live_server.url, "VP_CONFIG_DIR": str(tmp_path / "config"),
           "PYTHONPATH": str(ROOT / "client")}
    env.pop("VP_TOKEN", None)
    login = subprocess.run([sys.executable, "-m", "vp", "login", "-u", "alice", "-p", PASSWORD], env=env,
                           capture_output=True, text=True, timeout=60)
    assert login.returncode == 0, login.stderr
    watch = subprocess.Popen([sys.executable, "-m", "vp", "train", "--dataset", str(demo_dataset.pk), "--preset",
                              "yolov8n", "--epochs", "30", "--imgsz", "64", "--batch", "8", "--watch"], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: Job.objects.filter(kind="training", state="RUNNING").exists(), timeout=120, interval=0.2,
                 message="the training to start")
        time.sleep(3)  # a worker may claim the job before the POST's answer reaches the CLI: let it start watching
        watch.send_signal(signal.SIGINT)
        time.sleep(1)
        stdout, stderr = watch.communicate("y\n", timeout=120)
    finally:
        if watch.poll() is None:
            watch.kill()
    job = Job.objects.get(kind="training")
    assert "cancel job" in stderr and watch.returncode == 1, (watch.returncode, stdout[-2000:], stderr[-2000:])
    assert job.state == "CANCELLED" and "CANCELLED" in stderr


def test_a_model_upload_is_inspected_and_listed(alice, vp, tiny_weights):
    vp("login", "--username", "alice", "--password", PASSWORD)
    code, stdout, stderr = vp("models", "upload", tiny_weights, "--name", "tiny")
    assert code == 0 and "pytorch" in stdout and "circle" in stdout, stdout + stderr
    listed = _json(vp("models", "list", "--json"))
    assert [(m["name"], m["format"]) for m in listed] == [("tiny", "pytorch")]
    code, _, stderr = vp("models", "upload", __file__, "--name", "not-a-model")
    assert code == 2 and "error" in stderr  # the API's 400 naming the problem
