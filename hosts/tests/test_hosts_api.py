"""`GET /api/hosts/` and `/api/hosts/{name}/`: admins and engineers see the registered machines and whether each is
live (a process heartbeats it in Redis) or gone; viewers get 403; an unknown name is a 404."""
from hosts.liveness import process_beat, process_forget
from tests.support.rows import host_row


def test_admins_and_engineers_see_hosts_viewers_and_strangers_do_not(root, alice, bob, api, db):
    host_row(name="h-perm")
    assert api(root).get("/api/hosts/").status_code == 200
    assert "h-perm" in [h["name"] for h in api(alice).get("/api/hosts/").json()["results"]]  # beside this machine's
    refused = api(bob).get("/api/hosts/")
    assert refused.status_code == 403 and "admins and engineers" in refused.json()["detail"]
    assert api(bob).get("/api/hosts/h-perm/").status_code == 403
    from rest_framework.test import APIClient

    assert APIClient().get("/api/hosts/").status_code == 401


def test_a_host_is_live_while_a_process_heartbeats_it_and_gone_after(alice, api, db):
    host_row(name="h-live", gpus=[{"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559}])
    member = process_beat(host="h-live", role="gpu", pid=4242, queues=["gpu", "gpu.host.h-live"])
    try:
        body = api(alice).get("/api/hosts/h-live/").json()
        assert body["state"] == "live" and body["cpu_features"] == ["AMX"]
        assert body["processes"][0]["role"] == "gpu" and body["processes"][0]["queues"] == ["gpu", "gpu.host.h-live"]
    finally:
        process_forget(member)
    body = api(alice).get("/api/hosts/h-live/").json()
    assert body["state"] == "gone" and body["processes"] == [] and body["last_seen"]


def test_an_unknown_host_is_a_404_that_names_it(alice, api, db):
    response = api(alice).get("/api/hosts/nowhere/")
    assert response.status_code == 404 and "nowhere" in response.json()["detail"]


def test_the_admin_lists_hosts_with_their_state(root, db):
    from django.test import Client

    from conftest import PASSWORD

    host_row(name="h-admin")
    client = Client()
    assert client.login(username=root.username, password=PASSWORD)
    page = client.get("/admin/hosts/host/").content.decode()
    assert "h-admin" in page and "gone" in page and "cpu:amx" in page


def test_health_counts_a_host_queue_as_consumed_while_its_gpu_worker_lives(alice, db):
    from config.health import queues_waiting_on_no_consumer
    from jobs.models import Job

    Job.objects.create(kind="benchmark", owner=alice, queue="gpu.host.h-health", state="QUEUED")
    workers = {"gpu": 1, "default": 1, "inference": 0}
    member = process_beat(host="h-health", role="gpu", pid=4343, queues=["gpu", "gpu.host.h-health"])
    try:
        assert queues_waiting_on_no_consumer(workers) == {}
    finally:
        process_forget(member)
    assert queues_waiting_on_no_consumer(workers) == {"gpu.host.h-health": 1}  # gone: nobody takes it


def test_a_live_host_shows_the_usage_its_heartbeat_sampled_and_none_once_gone(alice, api, transactional_db,
                                                                           settings, monkeypatch):
    """A real HostHeartbeat in this process (its beats in their thread, against the test Redis), NVML faked: the
    API shows the newest sample under `usage`, per GPU too; once the process stops, the host is gone and its usage
    null (never a stale one)."""
    from hosts.registration import HostHeartbeat
    from tests.support.nvml import fake_nvml
    from tests.waiting import wait_for

    settings.HOST_NAME = "h-usage"
    fake_nvml(monkeypatch, [{"name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559, "memory_used_mb": 40960,
                             "utilization": 93, "temperature": 66}])
    client = api(alice)
    heartbeat = HostHeartbeat(role="gpu", engines=False).start()
    try:
        first = client.get("/api/hosts/h-usage/").json()
        usage = first["usage"]
        assert first["state"] == "live" and first["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"
        assert 0 < usage["memory_used_mb"] <= usage["memory_total_mb"] and len(usage["load_average"]) == 3
        assert usage["gpus"] == [{"index": 0, "utilization_percent": 93, "memory_used_mb": 40960,
                                  "memory_total_mb": 81559, "temperature_c": 66}]
        later = wait_for(lambda: (body := client.get("/api/hosts/h-usage/").json())["usage"]["sampled_at"]
                         > usage["sampled_at"] and body, timeout=10, message="a newer sample")
        assert later["usage"]["cpu_percent"] is not None  # a beat later, the CPU share since the first one
        listed = {h["name"]: h for h in client.get("/api/hosts/").json()["results"]}
        assert listed["h-usage"]["usage"]["gpus"][0]["utilization_percent"] == 93
    finally:
        heartbeat.stop()
    gone = client.get("/api/hosts/h-usage/").json()
    assert gone["state"] == "gone" and gone["usage"] is None


def test_a_live_host_that_has_not_reported_usage_shows_null(alice, api, db):
    host_row(name="h-quiet")
    member = process_beat(host="h-quiet", role="default", pid=4444, queues=["default"])  # an older process: no usage
    try:
        body = api(alice).get("/api/hosts/h-quiet/").json()
        assert body["state"] == "live" and body["usage"] is None
    finally:
        process_forget(member)


def test_a_gpu_whose_nvml_read_hangs_shows_as_unresponsive(alice, api, db):
    """hosts/usage.py reports each GPU `unresponsive` while an NVML read hangs: the API says so, readings null."""
    import time

    host_row(name="h-wedged", gpus=[{"index": 0, "name": "NVIDIA L4", "memory_total_mb": 23034}])
    usage = {"sampled_at": time.time(), "cpu_percent": 5.0, "load_average": [0.1, 0.1, 0.1], "memory_used_mb": 900,
             "memory_total_mb": 32000, "gpus": [{"index": 0, "unresponsive": True}]}
    member = process_beat(host="h-wedged", role="gpu", pid=4445, queues=["gpu"], usage=usage)
    try:
        gpus = api(alice).get("/api/hosts/h-wedged/").json()["usage"]["gpus"]
        assert gpus == [{"index": 0, "utilization_percent": None, "memory_used_mb": None, "memory_total_mb": None,
                         "temperature_c": None, "unresponsive": True}]
    finally:
        process_forget(member)
