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
        return [(name, "busy", "", "", f"{count} running", "") for name, count in sorted(per_worker.items())], "jobs"
    rows = []
    for host in hosts:
        gpus = host.get("gpus") or []
        gpu_text = "; ".join(_gpu(g) for g in gpus) or "no GPU"
        cpu = f"{host.get('cpu_cores') or '?'} cores" + (f" {host['cpu_percent']:.0f}%"
                                                          if host.get("cpu_percent") is not None else "")
        processes = host.get("processes") or []
        rows.append((str(host.get("name")), str(host.get("state", "")), cpu, gpu_text,
                     f"{len(processes)} processes", str(host.get("last_seen") or "")[:19].replace("T", " ")))
    return rows, "api"


def _gpu(gpu: dict) -> str:
    name = str(gpu.get("name", "GPU")).replace("NVIDIA ", "")
    use = gpu.get("utilization") if gpu.get("utilization") is not None else gpu.get("util")
    total = gpu.get("memory_total_mb") or gpu.get("memory_mb")
    used = gpu.get("memory_used_mb")
    if used is None and total and gpu.get("memory_free_mb") is not None:  # NVML's facts: total and free
        used = total - gpu["memory_free_mb"]
    memory = used, total
    text = name + (f" {use:.0f}%" if isinstance(use, (int, float)) else "")
    if memory[0] is not None and memory[1]:
        text += f" {memory[0] / 1024:.1f}/{memory[1] / 1024:.0f} GiB"
    elif memory[1]:
        text += f" {memory[1] / 1024:.0f} GiB"
    return text
