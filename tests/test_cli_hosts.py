"""`vp hosts [NAME]` in-process (typer's CliRunner) against a live server, with a real HostHeartbeat beating in
this process (NVML faked: no GPU here): the table and one host's page show the live CPU, memory and GPU usage,
`--json` is the API's answer, a gone host has no usage, and a viewer is refused (exit 3)."""
import json

import pytest
from typer.testing import CliRunner
from vp.cli import app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vp(live_server, tmp_path, monkeypatch):
    from accounts.services import api_token_create

    monkeypatch.setenv("VP_URL", live_server.url)
    monkeypatch.setenv("VP_CONFIG_DIR", str(tmp_path / "config"))
    runner = CliRunner()

    def run(*args: str, user):
        env = {"VP_TOKEN": api_token_create(user=user, name="hosts")[1], "COLUMNS": "200"}
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture
def heartbeat(settings, monkeypatch):
    from hosts.registration import HostHeartbeat
    from tests.support.nvml import fake_nvml

    settings.HOST_NAME = "cli-usage"
    fake_nvml(monkeypatch, [{"name": "NVIDIA L4", "memory_total_mb": 23034, "memory_used_mb": 2048,
                             "utilization": 76, "temperature": 48}])
    beating = HostHeartbeat(role="inference", engines=["onnxruntime-cpu"]).start()
    yield beating
    beating.stop()


def test_vp_hosts_shows_the_live_usage_of_each_host(vp, alice, heartbeat):
    code, stdout, stderr = vp("hosts", user=alice)
    assert code == 0, stderr
    line = next(line for line in stdout.splitlines() if "cli-usage" in line)
    assert "live" in line and "cores" in line and "GiB" in line and "L4 76% 2.0/22 GiB 48°C" in line, stdout

    code, stdout, _ = vp("hosts", "cli-usage", user=alice)
    assert code == 0 and "GPU 0: L4 76% 2.0/22 GiB 48°C" in stdout and "inference" in stdout, stdout
    assert "usage: none" not in stdout

    code, stdout, _ = vp("hosts", "cli-usage", "--json", user=alice)
    usage = json.loads(stdout)["usage"]
    assert code == 0 and usage["gpus"][0]["utilization_percent"] == 76 and usage["memory_total_mb"] > 0


def test_a_gone_host_has_no_usage_and_a_viewer_is_refused(vp, alice, bob, heartbeat):
    heartbeat.stop()
    code, stdout, _ = vp("hosts", "cli-usage", user=alice)
    assert code == 0 and "state: gone" in stdout and "usage: none" in stdout, stdout
    assert json.loads(vp("hosts", "cli-usage", "--json", user=alice)[1])["usage"] is None
    code, _, stderr = vp("hosts", user=bob)
    assert code == 3 and "admins and engineers" in stderr
