"""The Python client's transport: a JWT refreshed on a 401 against the real platform (and saved through the
callback), errors carrying the API's body, retries on 429/503 honouring Retry-After (a real local HTTP server that
answers 503 first), and the hosts table of `vp top` from /api/hosts/ (another branch's endpoint) or without it."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vp import ApiError, Client, NotFound
from vp.top_data import _hosts

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_expired_access_token_is_refreshed_and_the_new_pair_saved(live_server, alice):
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(alice)
    saved = []
    client = Client(live_server.url, token="not-a-jwt-any-more", refresh=str(refresh), on_refresh=saved.append)
    assert client.me()["username"] == "alice"
    assert saved and saved[0].access != "not-a-jwt-any-more" and saved[0].refresh != str(refresh)  # rotated


def test_an_error_carries_the_apis_body(live_server, alice):
    from accounts.services import api_token_create

    client = Client(live_server.url, token=api_token_create(user=alice, name="t")[1])
    with pytest.raises(ApiError) as bad:
        client.training_start(dataset=1, preset="yolov8n", epochs=0)
    assert bad.value.status == 400 and "epochs" in bad.value.errors
    with pytest.raises(NotFound) as missing:
        client.job(999999)
    assert missing.value.status == 404 and missing.value.detail


class _Flaky(BaseHTTPRequestHandler):
    answers: list = []

    def do_GET(self):
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        body = b'{"detail": "busy"}' if status != 200 else b'{"username": "x"}'
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_429_and_503_are_retried_after_the_servers_retry_after(flaky_server):
    _Flaky.answers = [(503, {"Retry-After": "0.3"}), (429, {"Retry-After": "0.2"})]
    slept = []
    client = Client(flaky_server, token="vp_x")
    client.transport.sleep = lambda s: (slept.append(s), time.sleep(s))
    assert client.me() == {"username": "x"}
    assert slept == [0.3, 0.2]
    _Flaky.answers = [(503, {"Retry-After": "0"})] * 10
    with pytest.raises(ApiError) as refused:
        Client(flaky_server, token="vp_x", retries=2).me()
    assert refused.value.status == 503 and refused.value.detail == "busy"


class _Hosts:
    def __init__(self, hosts):
        self._hosts = hosts

    def hosts(self):
        return self._hosts


def test_the_hosts_table_reads_api_hosts_and_falls_back_to_the_workers_of_jobs():
    host = {"name": "gpu-1", "state": "live", "cpu_cores": 16, "last_seen": "2026-12-06T20:00:00Z",
            "gpus": [{"name": "NVIDIA H100", "memory_total_mb": 81920, "memory_free_mb": 71680}],
            "processes": [{"role": "gpu"}, {"role": "inference"}]}
    rows, source = _hosts(_Hosts([host]), [])
    assert source == "api" and rows[0] == ("gpu-1", "live", "16 cores", "", "H100 10.0/80 GiB", "2",
                                         "2026-12-06 20:00:00")
    running = [{"state": "RUNNING", "worker": "celery@a"}, {"state": "RUNNING", "worker": "celery@a"}]
    rows, source = _hosts(_Hosts(None), running)
    assert source == "jobs" and rows == [("celery@a", "busy", "", "", "", "2 running", "")]


def test_the_hosts_table_shows_live_usage_where_the_host_reported_it():
    host = {"name": "gpu-2", "state": "live", "cpu_cores": 32, "memory_mb": 257000, "last_seen": "2026-12-06T20:00:00Z",
            "gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559},
                     {"index": 1, "name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559}],
            "processes": [{"role": "gpu"}],
            "usage": {"sampled_at": "2026-12-06T20:00:41.5Z", "cpu_percent": 37.4, "load_average": [5.25, 4.0, 3.1],
                      "memory_used_mb": 65536, "memory_total_mb": 257000,
                      "gpus": [{"index": 0, "utilization_percent": 91, "memory_used_mb": 40960,
                                "memory_total_mb": 81559, "temperature_c": 67},
                               {"index": 1, "utilization_percent": 0, "memory_used_mb": 0, "memory_total_mb": 81559,
                                "temperature_c": None}]}}
    (row,), _ = _hosts(_Hosts([host]), [])
    assert row[2:5] == ("32 cores 37%", "64.0/251 GiB",
                        "H100 80GB HBM3 91% 40.0/80 GiB 67°C\nH100 80GB HBM3 0% 0.0/80 GiB")  # a GPU a line
    assert row[5:] == ("1", "20:00:41")  # seen: the newest sample's time, not the row's last_seen
    (gone,), _ = _hosts(_Hosts([{**host, "state": "gone", "usage": None}]), [])
    assert gone[2:5] == ("32 cores", "251 GiB", "H100 80GB HBM3 80 GiB\nH100 80GB HBM3 80 GiB")
    unread = {"utilization_percent": None, "memory_used_mb": None, "memory_total_mb": None, "temperature_c": None,
              "unresponsive": True}  # as the API answers while NVML does not (hosts/usage.py)
    wedged = {**host["usage"], "gpus": [{"index": 0, **unread}, {"index": 1, **unread}]}
    (stuck,), _ = _hosts(_Hosts([{**host, "usage": wedged}]), [])  # NVML did not answer (hosts/usage.py)
    assert stuck[4] == "H100 80GB HBM3 80 GiB NOT ANSWERING\nH100 80GB HBM3 80 GiB NOT ANSWERING"
