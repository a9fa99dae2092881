"""Which host processes are alive, in Redis: a key per process (`hosts:proc:<host>|<role>|<pid>`) that its
heartbeat refreshes and that expires HOST_TTL_SECONDS after the last one, and a set listing them (pruned by readers,
like the inference pools' registrations). A host is live while any of its processes' keys exists."""
import json
import time

from django.conf import settings

from core.redis import redis_client

PROCESSES = "hosts:procs"


def process_key(member: str) -> str:
    return f"hosts:proc:{member}"


def process_beat(*, host: str, role: str, pid: int, queues: list[str], usage: dict | None = None) -> str:
    """Refresh the process's key; `usage` is the host's live usage (hosts/usage.py), kept only while the key lives
    (the Host row never holds it: one write per beat would be one write per process every few seconds)."""
    member = f"{host}|{role}|{pid}"
    body = json.dumps({"host": host, "role": role, "pid": pid, "queues": queues, "at": time.time(), "usage": usage})
    pipe = redis_client().pipeline(transaction=False)
    pipe.set(process_key(member), body, px=int(settings.HOST_TTL_SECONDS * 1000))
    pipe.sadd(PROCESSES, member)
    pipe.execute()
    return member


def process_forget(member: str) -> None:
    pipe = redis_client().pipeline(transaction=False)
    pipe.delete(process_key(member))
    pipe.srem(PROCESSES, member)
    pipe.execute()


def processes_live() -> list[dict]:
    """Every live process ({host, role, pid, queues, at, usage}); expired registrations are dropped from the set."""
    client = redis_client()
    members = sorted(m.decode() for m in client.smembers(PROCESSES))
    if not members:
        return []
    live = []
    for member, raw in zip(members, client.mget([process_key(m) for m in members])):
        if raw is None:
            client.srem(PROCESSES, member)
        else:
            live.append(json.loads(raw))
    return live
