"""`vp train --target`, `vp bench --target` and `vp convert --run-on` (its `--target` is the format) against the
live server with a live host and no worker: the request carries the routing target and the job lands in that host's
queue; a value that is not host=|gpu=|cpu= is a usage error (exit 2) before any request."""
import json
import uuid

import pytest
from typer.testing import CliRunner
from vp.cli import app

from accounts.services import api_token_create
from jobs.models import Job
from tests.support.hosts import H100, gpu_hosts_live
from tests.support.rows import dataset_row, model_row

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vp(live_server, alice, tmp_path, monkeypatch):
    monkeypatch.setenv("VP_URL", live_server.url)
    monkeypatch.setenv("VP_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VP_TOKEN", api_token_create(user=alice, name="cli")[1])
    monkeypatch.setenv("COLUMNS", "300")  # typer's error box would wrap the message

    def run(*args):
        result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def test_train_convert_and_bench_send_their_target(alice, vp):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    dataset, model = dataset_row(owner=alice), model_row(owner=alice)
    with gpu_hosts_live(name, gpus=H100):
        trained = vp("train", "--dataset", dataset.pk, "--preset", "yolov8n", "--epochs", 1, "--imgsz", 64,
                     "--target", f"host={name}", "--json")
        converted = vp("convert", model.pk, "--target", "onnx", "--imgsz", 64, "--run-on", "gpu=h100", "--no-wait",
                       "--json")
        benched = vp("bench", model.pk, "--engines", "pytorch-cpu", "--target", "host=nowhere")  # bench waits: a 400
    assert trained[0] == 0 and converted[0] == 0, (trained, converted)
    assert json.loads(trained[1])["routed_to"] == name and json.loads(converted[1])["run_on"] == {"gpu": "h100"}
    assert benched[0] == 2 and "no live host matches host 'nowhere'" in benched[2], benched
    queues = list(Job.objects.values_list("queue", flat=True))
    assert queues == [f"gpu.host.{name}"] * 2, queues


@pytest.mark.parametrize("args", [("train", "--dataset", "1", "--preset", "yolov8n", "--target", "rack=3"),
                                  ("bench", "1", "--target", "gpu"),
                                  ("convert", "1", "--run-on", "host=")])
def test_a_target_that_is_not_host_gpu_or_cpu_is_a_usage_error(vp, args):
    code, _, stderr = vp(*args)
    assert code == 2 and "host=NAME, gpu=MODEL or cpu=FEATURE" in stderr
    assert not Job.objects.exists()
