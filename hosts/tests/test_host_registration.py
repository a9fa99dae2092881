"""A real worker process registers its host on start (hardware read from this machine) and heartbeats it with the
host's live usage; once the worker is killed the host is shown as gone, without usage (HOST_TTL_SECONDS is 3 s in
the suite)."""
import os
import uuid

import pytest

from tests.waiting import wait_for
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.workers]


def _state(client, name):
    response = client.get(f"/api/hosts/{name}/")
    return response.json() if response.status_code == 200 else None


def test_a_gpu_worker_registers_its_host_heartbeats_and_is_gone_once_killed(alice, api, transactional_db,
                                                                           _database_sessions_closed):
    from core.hardware import cpu_features, cpu_model
    from hosts.facts import this_host

    name = f"reg-{uuid.uuid4().hex[:6]}"
    client = api(alice)
    worker = WorkerProcess("hostreg", ["worker", "-Q", "gpu", "-c", "1", "--max-tasks-per-child", "1"],
                           env={"HOST_NAME": name}).start()
    try:
        body = wait_for(lambda: (_state(client, name) or {}).get("state") == "live" and _state(client, name),
                        timeout=30, message=f"host {name} to register")
        assert body["cpu_model"] == cpu_model() and body["cpu_cores"] == os.cpu_count() and body["memory_mb"] > 0
        assert body["cpu_features"] == list(cpu_features())
        assert body["hardware_class"] == this_host()["hardware_class"]
        assert body["roles"] == ["gpu"] and "onnxruntime-cpu" in body["engines"]
        (process,) = body["processes"]
        assert process["pid"] == worker.process.pid and set(process["queues"]) == {"gpu", f"gpu.host.{name}"}
        first_beat = process["at"]
        later = wait_for(lambda: (body := _state(client, name))["processes"][0]["at"] > first_beat and body,
                         timeout=10, message="a second heartbeat")
        usage = later["usage"]  # sampled in the worker process, from this machine (no GPU: none listed)
        assert usage["memory_total_mb"] == body["memory_mb"] and usage["cpu_percent"] is not None
        assert usage["gpus"] == [] and usage["sampled_at"]
        worker.kill()
        gone = wait_for(lambda: _state(client, name)["state"] == "gone" and _state(client, name), timeout=15,
                        message=f"host {name} to be shown as gone")
        assert gone["processes"] == [] and gone["last_seen"] and gone["usage"] is None
    finally:
        worker.stop()


def test_the_default_worker_and_an_inference_pool_register_their_hosts_too(alice, api, transactional_db,
                                                                           _database_sessions_closed):
    from inference.tests.conftest import start_pool

    suffix = uuid.uuid4().hex[:6]
    client = api(alice)
    default = WorkerProcess("hostreg-default", ["worker", "-Q", "default", "-c", "1"],
                            env={"HOST_NAME": f"reg-default-{suffix}"}).start()
    pool = start_pool(f"hostreg-{suffix}", HOST_NAME=f"reg-pool-{suffix}")
    try:
        for name, role in ((f"reg-default-{suffix}", "default"), (f"reg-pool-{suffix}", "inference")):
            body = wait_for(lambda: (_state(client, name) or {}).get("state") == "live" and _state(client, name),
                            timeout=30, message=f"host {name} to register")
            assert body["roles"] == [role] and [p["role"] for p in body["processes"]] == [role]
        assert _state(client, f"reg-default-{suffix}")["engines"] == []  # it loads no engine library to probe
        assert "onnxruntime-cpu" in _state(client, f"reg-pool-{suffix}")["engines"]
    finally:
        default.stop()
        pool.stop()
    # a clean stop forgets the process at once, without waiting for its key to expire
    assert _state(client, f"reg-pool-{suffix}")["state"] == "gone"
