"""A process registers its host on start and keeps it alive: a Redis key every HOST_HEARTBEAT_SECONDS (cheap,
expires when the process dies, and carries the host's live usage: hosts/usage.py) and the Host row's `last_seen`
every HOST_DB_UPDATE_SECONDS (no write per job).

Used by the Celery workers (hosts/worker_signals.py) and the inference pool (inference/pool.py). The beats run in a
daemon thread; a Redis or database that is down is logged and retried on the next beat, never fatal.
"""
import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from .facts import host_facts
from .liveness import process_beat, process_forget
from .models import Host
from .usage import UsageSampler

log = logging.getLogger("hosts")


# What a process sees of the GPUs depends on its container, not only on its machine: the processes of one machine
# share its HOST_NAME (docker-compose.yml), and the inference pool and default worker, which have no GPU reservation,
# see none. They must not wipe what the gpu worker recorded (a `{"gpu": ...}` benchmark target reads it).
GPU_FACTS = ("hardware_class", "gpus", "gpu_driver", "engines")


def host_record(*, facts: dict, role: str) -> Host:
    """Create or refresh the Host row from `facts`; the roles seen on it accumulate. The gpu worker's view of the
    GPUs is the one that counts; a process that sees no GPU leaves the GPU facts another process recorded."""
    fields = {key: value for key, value in facts.items() if key != "name"}
    host, created = Host.objects.get_or_create(name=facts["name"], defaults={
        **fields, "roles": [role], "last_seen": timezone.now()})
    if not created:
        if role != "gpu" and not fields.get("gpus") and host.gpus:
            fields = {key: value for key, value in fields.items() if key not in GPU_FACTS}
        for key, value in fields.items():
            setattr(host, key, value)
        host.roles = sorted(set(host.roles or []) | {role})
        host.last_seen = timezone.now()
        host.save()
    return host


class HostHeartbeat:
    """`start()` registers and starts the beats; `stop()` forgets this process at once (a clean shutdown)."""

    def __init__(self, *, role: str, queues: list[str] | None = None, engines: bool | list[str] = True):
        self.role, self.queues, self.engines = role, list(queues or []), engines
        self.pid = os.getpid()
        self.member = ""
        self.stopping = threading.Event()
        self.facts: dict = {}
        self.sampler: UsageSampler | None = None
        self.thread: threading.Thread | None = None
        self.recorded_at: float | None = None  # when the Host row was last written (monotonic)

    def start(self) -> "HostHeartbeat":
        self.facts = host_facts(engines=self.engines)
        self.sampler = UsageSampler(gpu_indexes=[gpu["index"] for gpu in self.facts["gpus"]])
        self._beat_logged()
        self.thread = threading.Thread(target=self._loop, name="host-heartbeat", daemon=True)
        self.thread.start()
        log.info("host %s (%s) registered its %s process %s", self.facts["name"], self.facts["hardware_class"],
                 self.role, self.pid)
        return self

    def _beat_logged(self) -> None:
        due = self.recorded_at is None or time.monotonic() - self.recorded_at >= settings.HOST_DB_UPDATE_SECONDS
        try:
            self.member = process_beat(host=self.facts["name"], role=self.role, pid=self.pid, queues=self.queues,
                                       usage=self._usage())
            if due:
                try:
                    close_old_connections()
                    host_record(facts=self.facts, role=self.role)
                    self.recorded_at = time.monotonic()
                finally:
                    connection.close()  # this thread's connection is not kept between beats (nor across forks)
        except Exception:
            log.warning("host heartbeat failed (retried on the next beat)", exc_info=True)

    def _usage(self) -> dict | None:
        try:
            return self.sampler.sample() if self.sampler else None
        except Exception:  # the beat says the process lives even when the machine cannot be read
            log.warning("host usage could not be sampled", exc_info=True)
            return None

    def _loop(self) -> None:
        while not self.stopping.wait(settings.HOST_HEARTBEAT_SECONDS):
            self._beat_logged()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=5)  # a beat under way would bring the key back after it is forgotten
        try:
            if self.member:
                process_forget(self.member)
        except Exception:
            log.warning("could not unregister host process %s", self.member, exc_info=True)
