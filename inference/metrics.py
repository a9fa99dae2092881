"""Prometheus metrics at /metrics: web-side request counts and latency, plus every live pool's own statistics.

Web side: prometheus-client metrics in the web process. With several gunicorn workers set
PROMETHEUS_MULTIPROC_DIR to an empty directory (prometheus-client's multiprocess mode) so every worker's counts
add up; without it each process answers with its own. Pool side: each pool process publishes its counters and
histograms in its Redis heartbeat (inference/stats.py); a collector here turns them into series with a `pool`
label at scrape time, together with the queue depth per model. No database row is written per request.
"""
import ipaddress
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest,
                               multiprocess)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from core.http_errors import http_status_of
from core.redis import redis_client

from . import channel

REQUESTS = Counter("inference_requests_total", "Prediction requests answered by the API",
                   ["model", "engine", "status"])
LATENCY = Histogram("inference_request_seconds", "End-to-end prediction latency in the web process",
                    ["model", "engine"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


@dataclass
class Outcome:
    engine: str = ""


@contextmanager
def prediction_recorded(*, model_id: int):
    """Count one prediction request by model, engine and status, and observe its latency when it succeeded. The
    block sets `outcome.engine` once it knows which engine answered."""
    started = time.perf_counter()
    outcome, code = Outcome(), 200
    try:
        yield outcome
    except BaseException as exc:
        code = http_status_of(exc)
        raise
    finally:
        REQUESTS.labels(str(model_id), outcome.engine, str(code)).inc()
        if code == 200:
            LATENCY.labels(str(model_id), outcome.engine).observe(time.perf_counter() - started)


HISTOGRAM_HELP = {"batch_size": "Images per engine batch in the pool",
                  "inference_seconds": "Engine run time per batch in the pool",
                  "queue_seconds": "Time a request waited in Redis before its batch started"}


class PoolCollector:
    def collect(self):
        pools = channel.pools_live(max_age=0)
        yield GaugeMetricFamily("inference_pool_processes", "Live inference pool processes", value=len(pools))
        loaded = GaugeMetricFamily("inference_pool_models_loaded", "Models held warm per pool process", labels=["pool"])
        requests = CounterMetricFamily("inference_pool_requests", "Requests handled by pool processes",
                                       labels=["pool", "model", "engine", "outcome"])
        images = CounterMetricFamily("inference_pool_images", "Images run by pool processes",
                                     labels=["pool", "model", "engine"])
        histograms = {name: HistogramMetricFamily(f"inference_pool_{name}", text, labels=["pool", "model", "engine"])
                      for name, text in HISTOGRAM_HELP.items()}
        for pool in pools:
            loaded.add_metric([pool["id"]], len(pool.get("models", [])))
            stats = pool.get("stats", {})
            for model, engine, outcome, count in stats.get("requests", []):
                requests.add_metric([pool["id"], model, engine, outcome], count)
            for model, engine, count in stats.get("images", []):
                images.add_metric([pool["id"], model, engine], count)
            for name, model, engine, hist in stats.get("histograms", []):
                if name in histograms:
                    buckets = [(str(b), c) for b, c in zip(hist["buckets"], hist["cumulative"])]
                    buckets.append(("+Inf", hist["count"]))
                    histograms[name].add_metric([pool["id"], model, engine], buckets, hist["sum"])
        yield loaded
        yield requests
        yield images
        yield from histograms.values()
        depth = GaugeMetricFamily("inference_queue_depth", "Requests waiting in Redis per model", labels=["model"])
        client = redis_client()  # short timeouts: a stuck Redis must not hold a web thread
        keys = list(client.scan_iter(match=channel.queue_key(0)[:-1] + "*", count=1000))
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.llen(key)
        for key, length in zip(keys, pipe.execute() if keys else []):
            depth.add_metric([key.decode().rsplit(":", 1)[1]], length)
        yield depth


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token and request.headers.get("Authorization", "") != f"Bearer {token}":
        return False
    allowed = settings.METRICS_ALLOWED_IPS
    if allowed:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in allowed)
    return True


def metrics_view(request):
    """GET /metrics: no JWT; METRICS_TOKEN and METRICS_ALLOWED_IPS restrict it when set."""
    if not _allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        web = CollectorRegistry()
        multiprocess.MultiProcessCollector(web)
    else:
        web = REGISTRY
    pools = CollectorRegistry(auto_describe=False)
    pools.register(PoolCollector())
    try:
        pool_text = generate_latest(pools)
    except Exception as exc:  # Redis down: still answer with the web's own metrics
        pool_text = f"# pool metrics unavailable: {exc.__class__.__name__}\n".encode()
    return HttpResponse(generate_latest(web) + pool_text, content_type=CONTENT_TYPE_LATEST)
