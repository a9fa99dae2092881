"""Live hosts without worker processes: a Host row and a gpu worker's heartbeat key in Redis, which is all routing
(hosts/routing.py) and the reaper (hosts/reaping.py) look at. Nothing consumes their queues."""
import contextlib
import itertools

from hosts.liveness import process_beat, process_forget

from .rows import host_row

H100 = [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_total_mb": 81559}]
_pids = itertools.count(70000)


@contextlib.contextmanager
def gpu_hosts_live(*names: str, **fields):
    """Each of `names` registered (host_row, with `fields`) and live as a gpu worker until the block ends."""
    for name in names:
        host_row(name=name, **fields)
    members = [process_beat(host=name, role="gpu", pid=next(_pids), queues=["gpu", f"gpu.host.{name}"])
               for name in names]
    try:
        yield
    finally:
        for member in members:
            process_forget(member)
