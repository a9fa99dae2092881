"""Reads for hosts: the registered machines with their state (live while a process heartbeats, else gone)."""
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
    if processes is None:
        return {"state": "unknown", "processes": []}
    mine = processes.get(host.name, [])
    return {"state": "live" if mine else "gone",
            "processes": [{k: p[k] for k in ("role", "pid", "queues", "at")} for p in mine]}


def host_list():
    return Host.objects.all()


def host_get(*, name: str) -> Host:
    host = Host.objects.filter(name=name).first()
    if host is None:
        raise NotFound(f"No host named {name!r} has registered.")
    return host
