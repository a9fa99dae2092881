"""Health: liveness (the process runs) and readiness (database, Redis, workers per queue, jobs waiting on no one).

Jobs queued on a queue no worker consumes would wait forever: the answer lists those queues under
`waiting_on_no_consumer` with status "degraded" (still 200: the web process itself can serve).

Counting Celery workers is a broadcast that waits its whole timeout (1 s) for replies, so each web process keeps
the counts for HEALTH_WORKERS_CACHE_SECONDS; the database and Redis checks run on every call.
"""
import threading
import time

from django.conf import settings
from django.db import connection
from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.queues import POOL_QUEUE, QUEUES
from core.redis import redis_client
from hosts.liveness import processes_live
from inference.channel import pools_live
from jobs.models import Job, JobState

from .celery import app


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:
        return f"down: {exc.__class__.__name__}: {exc}"


def check_redis() -> str:
    try:
        redis_client().ping()
        return "ok"
    except Exception as exc:
        return f"down: {exc.__class__.__name__}: {exc}"


_cache: dict = {}
_cache_lock = threading.Lock()


def workers_per_queue_cached() -> dict:
    """workers_per_queue(), at most HEALTH_WORKERS_CACHE_SECONDS old; concurrent callers share one broadcast."""
    max_age = settings.HEALTH_WORKERS_CACHE_SECONDS
    with _cache_lock:
        if _cache and time.monotonic() - _cache["at"] < max_age:
            return dict(_cache["counts"])
        counts = workers_per_queue()
        _cache.update(at=time.monotonic(), counts=counts)
        return dict(counts)


def workers_per_queue(timeout: float = 1.0) -> dict:
    counts = dict.fromkeys(QUEUES, 0)
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    for queues in replies.values():
        for queue in queues:
            if queue.get("name") in counts:
                counts[queue["name"]] += 1
    # The inference pool is not Celery: its processes register with a heartbeat in Redis (inference/channel.py).
    counts[POOL_QUEUE] = len(pools_live(max_age=0))
    return counts


def queues_waiting_on_no_consumer(workers: dict) -> dict:
    """{queue: number of QUEUED jobs} for each queue that has queued jobs and no worker consuming it."""
    queued = dict(Job.objects.filter(state=JobState.QUEUED).order_by().values_list("queue").annotate(n=Count("id")))
    if any(queue.startswith("gpu.host.") for queue in queued):  # a benchmark target: consumed while its host lives
        workers = {**workers, **{f"gpu.host.{p['host']}": 1 for p in processes_live() if p["role"] == "gpu"}}
    return {queue: count for queue, count in sorted(queued.items()) if count and not workers.get(queue)}


class HealthApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request):
        checks = {"database": check_database(), "redis": check_redis()}
        if checks["redis"] == "ok":
            try:
                checks["workers"] = workers_per_queue_cached()
            except Exception as exc:
                checks["workers"] = f"unknown: {exc}"
        else:
            checks["workers"] = "unknown: Redis is down"
        down = [name for name in ("database", "redis") if checks[name] != "ok"]
        body = {"status": "ok" if not down else "down", "checks": checks}
        if down:
            body["down"] = down
        if checks["database"] == "ok" and isinstance(checks["workers"], dict):
            waiting = queues_waiting_on_no_consumer(checks["workers"])
            if waiting:
                body["waiting_on_no_consumer"] = waiting
                if not down:
                    body["status"] = "degraded"
        return Response(body, status=503 if down else 200)


class LiveApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response({"status": "ok"})
