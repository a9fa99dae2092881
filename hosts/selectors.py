"""Reads for hosts: the registered machines with their state (live while a process heartbeats, else gone)."""
from datetime import UTC, datetime

import redis

from core.errors import NotFound

from .liveness import processes_live
from .models import Host


def host_processes() -> dict[str, list[dict]] | None:
    """{host name: its live processes}; None when Redis cannot be reached (states are then unknown)."""
    try:
        live = processes_live()
    except redis.RedisError:
        return None
    by_host: dict[str, list[dict]] = {}
    for process in live:
        by_host.setdefault(process["host"], []).append(process)
    return by_host


def host_state(host: Host, processes: dict[str, list[dict]] | None) -> dict:
    """Live or gone, its live processes and its usage: the newest sample any of them published (hosts/usage.py),
    None when the host is gone, Redis unreachable, or no process of it has sampled yet."""
    if processes is None:
        return {"state": "unknown", "processes": [], "usage": None}
    mine = processes.get(host.name, [])
    samples = [p["usage"] for p in mine if p.get("usage")]
    usage = max(samples, key=lambda sample: sample["sampled_at"], default=None)
    if usage is not None:
        usage = {**usage, "sampled_at": datetime.fromtimestamp(usage["sampled_at"], tz=UTC)}
    return {"state": "live" if mine else "gone",
            "processes": [{k: p[k] for k in ("role", "pid", "queues", "at")} for p in mine], "usage": usage}


def host_list():
    return Host.objects.all()


def host_get(*, name: str) -> Host:
    host = Host.objects.filter(name=name).first()
    if host is None:
        raise NotFound(f"No host named {name!r} has registered.")
    return host
