"""What `vp top` shows, read from the API in one snapshot: queues (workers from /api/health/, depth from the queued
jobs), hosts (from /api/hosts/ where the platform has it, else the workers seen in running jobs), running jobs and
the latest finished ones. Plain data, so the dashboard and its tests read the same thing."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .client import Client
from .errors import ApiError

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass
class Snapshot:
    status: str = "?"
    queues: list[tuple[str, int | str, int, int]] = field(default_factory=list)  # name, workers, queued, running
    hosts: list[tuple[str, ...]] = field(default_factory=list)
    hosts_source: str = "jobs"  # "api": /api/hosts/; "jobs": /api/hosts/ is not there, workers seen in jobs
    running: list[dict] = field(default_factory=list)
    finished: list[dict] = field(default_factory=list)
    error: str | None = None


def snapshot(client: Client, finished: int = 10) -> Snapshot:
    snap = Snapshot()
    try:
        health = client.health()
        active = client.jobs(state="RUNNING", limit=100) + client.jobs(state="QUEUED", limit=200)
        latest = client.jobs(limit=50)
    except ApiError as exc:
        snap.error = f"{exc.status}: {exc.detail}"
        return snap
    except Exception as exc:  # unreachable: shown in the header, tried again at the next refresh
        snap.error = str(exc)
        return snap
    snap.status = health.get("status", "?")
    workers = (health.get("checks") or {}).get("workers")
    queued = Counter(j.get("queue") or "?" for j in active if j["state"] == "QUEUED")
    running = Counter(j.get("queue") or "?" for j in active if j["state"] == "RUNNING")
    names = sorted(set(workers if isinstance(workers, dict) else {}) | set(queued) | set(running))
    snap.queues = [(name, workers.get(name, 0) if isinstance(workers, dict) else "?", queued[name], running[name])
                   for name in names]
    snap.running = [j for j in active if j["state"] == "RUNNING"] + [j for j in active if j["state"] == "QUEUED"]
    snap.finished = [j for j in latest if j["state"] in TERMINAL][:finished]
    snap.hosts, snap.hosts_source = _hosts(client, snap.running)
    return snap


def _hosts(client: Client, active: list[dict]) -> tuple[list[tuple[str, ...]], str]:
    try:
        hosts = client.hosts()
    except ApiError:  # a viewer may not list hosts (403): fall back like a platform without them
        hosts = None
    if hosts is None:
        per_worker = Counter(j.get("worker") or "?" for j in active if j["state"] == "RUNNING")
        return [(name, "busy", "", "", "", f"{count} running", "") for name, count in sorted(per_worker.items())], \
            "jobs"
    # narrow enough beside the queues at 150 columns: no load average, a live host's time of day only
    return [(str(host.get("name")), str(host.get("state", "")), cpu_text(host, load=False), memory_text(host),
             "\n".join(gpu_texts(host)) or "no GPU", str(len(host.get("processes") or [])),
             seen_text(host)[11:] if host.get("usage") else seen_text(host)) for host in hosts], "api"


# How a host reads in `vp top` and `vp hosts`: its live usage (the heartbeat's newest sample) where it has one,
# else its facts. Usage is null for a gone host, and absent from a platform older than it.
def cpu_text(host: dict, load: bool = True) -> str:
    usage = host.get("usage") or {}
    text = f"{host.get('cpu_cores') or '?'} cores"
    if usage.get("cpu_percent") is not None:
        text += f" {usage['cpu_percent']:.0f}%"
    if load and usage.get("load_average"):
        text += f" load {usage['load_average'][0]:.2f}"
    return text


def memory_text(host: dict) -> str:
    usage = host.get("usage") or {}
    if usage.get("memory_total_mb"):
        return f"{usage['memory_used_mb'] / 1024:.1f}/{usage['memory_total_mb'] / 1024:.0f} GiB"
    return f"{host['memory_mb'] / 1024:.0f} GiB" if host.get("memory_mb") else ""


def gpu_texts(host: dict) -> list[str]:
    """One text per GPU: its model from the facts, utilisation, memory and temperature from the usage."""
    live = {g.get("index"): {k: v for k, v in g.items() if v is not None}  # null: not read, the facts stand
            for g in (host.get("usage") or {}).get("gpus") or []}
    return [_gpu({**gpu, **live.get(gpu.get("index"), {})}) for gpu in host.get("gpus") or []]


def seen_text(host: dict) -> str:
    """When the host was last heard of: its newest sample while live, else the row's last_seen."""
    seen = (host.get("usage") or {}).get("sampled_at") or host.get("last_seen") or ""
    return str(seen)[:19].replace("T", " ")


def _gpu(gpu: dict) -> str:
    name = str(gpu.get("name", "GPU")).replace("NVIDIA ", "")
    use = gpu.get("utilization_percent")
    total = gpu.get("memory_total_mb")
    used = gpu.get("memory_used_mb")
    if used is None and total and gpu.get("memory_free_mb") is not None:  # NVML's facts: total and free
        used = total - gpu["memory_free_mb"]
    text = name + (f" {use:.0f}%" if isinstance(use, (int, float)) else "")
    if used is not None and total:
        text += f" {used / 1024:.1f}/{total / 1024:.0f} GiB"
    elif total:
        text += f" {total / 1024:.0f} GiB"
    if gpu.get("temperature_c") is not None:
        text += f" {gpu['temperature_c']}°C"
    if gpu.get("unresponsive"):
        text += " NOT ANSWERING"
    return text
