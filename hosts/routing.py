"""Aiming gpu work (a training, a conversion, a benchmark) at a host or a hardware class: each gpu worker also
consumes `gpu.host.<its HOST_NAME>`, and a target (`{"host": "gpu-2"}`, `{"gpu": "NVIDIA H100"}`, `{"cpu": "AMX"}`)
picks a live host that matches and has a gpu worker; the job is sent to that host's queue. A job left in the queue
of a host that is gone is routed again (a class target) or failed (a host by name) by the reaper: hosts/reaping.py."""
from core.errors import Invalid
from core.hardware import feature_key
from core.redis import redis_client
from jobs.services import HOST_QUEUE_PREFIX

from .liveness import processes_live
from .models import Host


def host_queue(name: str) -> str:
    return f"{HOST_QUEUE_PREFIX}{name}"


def host_matches(host: Host, target: dict) -> bool:
    if "host" in target:
        return host.name == target["host"]
    if "gpu" in target:
        wanted = target["gpu"].lower()
        return any(wanted in (gpu.get("name") or "").lower() for gpu in host.gpus or [])
    wanted = feature_key(target["cpu"])
    return any(feature_key(feature) == wanted for feature in host.cpu_features or [])


def target_describe(target: dict) -> str:
    key, value = next(iter(target.items()))
    return {"host": f"host {value!r}", "gpu": f"a GPU named like {value!r}", "cpu": f"the CPU feature {value!r}"}[key]


def target_host(*, target: dict, field: str = "target") -> Host:
    """The live host with a gpu worker that matches `target` and has the fewest jobs waiting in its queue; a 400 on
    `field` that says so when none does (a host that is gone, or no such hardware among the live ones)."""
    live = {p["host"] for p in processes_live() if p["role"] == "gpu"}
    matching = [host for host in Host.objects.filter(name__in=live) if host_matches(host, target)]
    if not matching:
        known = Host.objects.filter(name=target["host"]).first() if "host" in target else None
        why = ("it is gone (no gpu worker heartbeat)" if known else "no such host has registered") if "host" in target \
            else f"no live host with a gpu worker has it (live: {', '.join(sorted(live)) or 'none'})"
        raise Invalid(errors={field: [f"no live host matches {target_describe(target)}: {why}; see GET /api/hosts/"]})
    client = redis_client()
    return min(matching, key=lambda host: (client.llen(host_queue(host.name)), host.name))


def target_queue(*, target: dict | None, field: str = "target") -> tuple[str, str | None]:
    """The queue for gpu work aimed at `target` and the host it picked: `("gpu", None)` without a target (any gpu
    worker), else the chosen host's own queue and its name (the 400 of target_host when no live host matches)."""
    if not target:
        return "gpu", None
    host = target_host(target=target, field=field).name
    return host_queue(host), host
