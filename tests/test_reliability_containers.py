"""The containers' slow-client defence, checked statically (no Docker engine runs here): a buffering nginx is the
only way in, with bounded header and body read times and a cap on connections per address."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVICES = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
NGINX = (ROOT / "platform" / "nginx.conf").read_text()


def _directive(name: str) -> str:
    match = re.search(rf"^\s*{name}\s+([^;]+);", NGINX, re.MULTILINE)
    assert match, f"{name} is not set in platform/nginx.conf"
    return match.group(1).strip()


def test_clients_reach_the_web_process_only_through_the_buffering_proxy():
    assert "ports" not in SERVICES["web"] and SERVICES["proxy"]["ports"] == ["8000:8080"]
    assert "./platform/nginx.conf:/etc/nginx/nginx.conf:ro" in SERVICES["proxy"]["volumes"]
    assert SERVICES["web"]["environment"]["WEB_BIND"] == "0.0.0.0"
    assert "proxy_pass http://web;" in NGINX and "server web:8000;" in NGINX


def test_the_proxy_buffers_whole_requests_and_bounds_slow_clients():
    assert _directive("proxy_request_buffering") == "on"
    assert int(_directive("client_header_timeout").rstrip("s")) <= 15
    assert int(_directive("client_body_timeout").rstrip("s")) <= 15
    assert _directive("limit_conn_zone").startswith("$binary_remote_addr")
    assert int(_directive("limit_conn").split()[-1]) <= 100


def test_the_proxy_accepts_the_largest_dataset_upload():
    assert int(_directive("client_max_body_size").rstrip("m")) >= 2048
