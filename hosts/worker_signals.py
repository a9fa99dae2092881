"""Celery worker hooks (connected by config/celery.py): a gpu worker also consumes its host's own queue, and every
worker registers its host and heartbeats it while it runs."""
import logging

from celery.signals import celeryd_after_setup, worker_ready, worker_shutdown
from django.conf import settings

_heartbeat = None


def _consumed(app) -> list[str]:
    return sorted(app.amqp.queues.consume_from)


@celeryd_after_setup.connect
def consume_host_queue(sender, instance, **kwargs) -> None:
    """Before consuming starts: a worker of the gpu queue takes `gpu.host.<HOST_NAME>` too (benchmark targets)."""
    from .routing import host_queue  # deferred: config/celery.py loads this module before Django's apps

    if "gpu" in _consumed(instance.app):
        instance.app.amqp.queues.select_add(host_queue(settings.HOST_NAME))


@worker_ready.connect
def register_host(sender, **kwargs) -> None:
    global _heartbeat
    from .registration import HostHeartbeat  # deferred: config/celery.py loads this module before Django's apps

    queues = _consumed(sender.app)
    role = "gpu" if "gpu" in queues else (queues[0] if queues else "worker")
    try:
        _heartbeat = HostHeartbeat(role=role, queues=queues, engines=role == "gpu").start()
    except Exception:  # a worker that cannot register still works; `GET /api/hosts/` just does not list it
        logging.getLogger("hosts").exception("host registration failed")


@worker_shutdown.connect
def unregister_host(**kwargs) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
