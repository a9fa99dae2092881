"""The inference pool process: pops requests from Redis, batches them per model, runs warm engines, replies.

One process serves every model; start more processes (on more hosts, all pointed at the same Redis) to scale.
This module is the process: registration (a heartbeat in Redis that the web side reads), the serving loop and the
replies. The warm models live in model_cache.py (an LRU bounded by INFERENCE_MAX_MODELS and INFERENCE_MAX_RSS_MB,
each warmed up by one dummy run when it loads); collecting and running batches is batching.py.
INFERENCE_PRELOAD lists model ids to load at start.
"""
import json
import logging
import os
import socket
import threading
import time
import uuid

import psutil
from django.conf import settings

from core.artifact_cache import cached_file
from hosts.facts import this_host
from hosts.registration import HostHeartbeat

from . import channel
from core.errors import without_paths

from .batching import Pending, RequestError, collect, group, run_chunk, split_expired
from .engines import engines_available
from .model_cache import ModelCache
from .resolutions import Resolutions
from .stats import PoolStats

log = logging.getLogger("inference.pool")


class InferencePool:
    def __init__(self, *, pool_id: str | None = None):
        self.id = pool_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        self.redis = channel.channel_redis()
        self.max_batch = settings.INFERENCE_MAX_BATCH
        self.window = settings.INFERENCE_BATCH_WINDOW_MS / 1000
        self.engines = engines_available()
        self.cache = ModelCache(engines=self.engines, max_models=settings.INFERENCE_MAX_MODELS,
                                max_rss_mb=settings.INFERENCE_MAX_RSS_MB)
        self.stats = PoolStats()
        self.hardware_class = this_host()["hardware_class"]
        self.serving = Resolutions(redis=self.redis, hardware_class=self.hardware_class, available=self.cache.available)
        self.started = time.time()
        self.stopping = threading.Event()
        self.batches = 0

    # --- registration ------------------------------------------------------------------------
    def heartbeat(self) -> None:
        body = {"id": self.id, "host": socket.gethostname(), "pid": os.getpid(), "started": self.started,
                "hardware_class": self.hardware_class, "serving_lookups": self.serving.lookups,
                "at": time.time(), "engines": self.engines, "models": self.cache.describe(),
                "batches": self.batches, "max_batch": self.max_batch, "batch_window_ms": self.window * 1000,
                "rss_mb": round(psutil.Process().memory_info().rss / 2**20), "stats": self.stats.snapshot()}
        ttl = max(2, int(settings.INFERENCE_HEARTBEAT_SECONDS * 3 + 1))
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(channel.pool_key(self.id), json.dumps(body), ex=ttl)
        pipe.sadd(channel.POOLS, self.id)
        pipe.execute()

    def _heartbeat_loop(self) -> None:
        while not self.stopping.wait(settings.INFERENCE_HEARTBEAT_SECONDS):
            try:
                self.heartbeat()
            except Exception:
                log.exception("heartbeat failed")

    def unregister(self) -> None:
        try:
            self.redis.delete(channel.pool_key(self.id))
            self.redis.srem(channel.POOLS, self.id)
        except Exception:
            log.exception("could not unregister pool %s", self.id)

    def preload(self, model_ids: list[int]) -> None:
        for model_id in model_ids:
            try:
                target = self.serving.resolve(model_id)
                with cached_file(name=target["file"], sha256=target["sha256"]) as path:
                    self.cache.get(model_id=target["model_id"], model_format=target["format"], file=target["file"],
                                   path=str(path), selected=target["engine"], imgsz=target["default_imgsz"])
            except Exception as exc:
                log.error("preloading model %s failed: %s", model_id, getattr(exc, "detail", exc))

    # --- serving -----------------------------------------------------------------------------
    def serve_forever(self) -> None:
        self.heartbeat()
        host = HostHeartbeat(role="inference", engines=sorted(self.cache.available)).start()
        thread = threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True)
        thread.start()
        log.info("inference pool %s ready: engines %s, batch window %.1f ms, max batch %d", self.id,
                 sorted(self.cache.available), self.window * 1000, self.max_batch)
        try:
            while not self.stopping.is_set():
                try:
                    item = self.redis.blpop([channel.READY], timeout=1)
                    if item:
                        self.serve_model(int(item[1]))
                except Exception:
                    log.exception("serving loop error")
                    time.sleep(0.2)
        finally:
            self.stopping.set()
            self.unregister()
            host.stop()

    def serve_model(self, model_id: int) -> None:
        pending = collect(self.redis, model_id=model_id, max_batch=self.max_batch, window=self.window)
        if not pending:
            return
        live, expired = split_expired(pending, time.time())
        for request in expired:
            self.stats.request(model_id, request.header.get("engine") or "", "expired")
        if not live:
            return
        try:
            target = self.serving.resolve(model_id)  # what serves it on this pool's class (cached, see resolutions)
        except RequestError as exc:
            for request in live:
                request.error = exc
            self._reply(model_id, "", live, time.time())
            return
        for request in live:
            request.header.update({key: target[key] for key in ("format", "file", "sha256", "engine", "default_imgsz",
                                                                "class_names")})
        for (model_format, file, selected, imgsz), requests in group(live).items():
            self._serve_group(model_id, model_format, file, selected, imgsz, requests, target)

    def _serve_group(self, model_id, model_format, file, selected, imgsz, requests: list[Pending],
                     target: dict) -> None:
        batch_started = time.time()
        engine_name = selected or "?"
        leases = []

        def local_file() -> str:  # from this host's artifact cache, held while the engine loads it
            leases.append(cached_file(name=file, sha256=requests[0].header["sha256"]))
            return str(leases[-1].path)

        try:
            loaded = self.cache.get(model_id=target["model_id"], model_format=model_format, file=file,
                                    path=local_file, selected=selected,
                                    imgsz=imgsz or requests[0].header["default_imgsz"])
            engine = loaded.engine
            engine_name = engine.name
            size = imgsz or engine.fixed_imgsz or requests[0].header["default_imgsz"]
            if engine.fixed_imgsz and size != engine.fixed_imgsz:
                raise RequestError(400, f"imgsz: this model has a fixed input size of {engine.fixed_imgsz}; "
                                        f"{size} needs an ONNX export with dynamic=True")
        except RequestError as exc:
            for request in requests:
                request.error = exc
            self._reply(model_id, engine_name, requests, batch_started, target=target)
            return
        finally:
            for lease in leases:
                lease.release()
        items = [(request, index) for request in requests for index in range(len(request.images))]
        try:
            for start in range(0, len(items), self.max_batch):
                ran = run_chunk(engine, size, items[start:start + self.max_batch])
                if ran is not None:
                    self.batches += 1
                    self.stats.observe("batch_size", model_id, engine.name, ran["batch_size"])
                    self.stats.observe("inference_seconds", model_id, engine.name, ran["inference_seconds"])
        except Exception as exc:  # answer now rather than let every request in the batch time out
            log.exception("model %s failed on a batch", model_id)
            for request in requests:
                request.error = request.error or RequestError(500, f"{engine.name} failed: {without_paths(exc)}")
        self._reply(model_id, engine.name, requests, batch_started, note=loaded.note, target=target)

    def _reply(self, model_id: int, engine_name: str, requests: list[Pending], batch_started: float,
               note: str = "", target: dict | None = None) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for request in requests:
            h = request.header
            if request.error is not None:
                body = {"error": {"status": request.error.status, "detail": request.error.detail,
                                  "unservable": request.error.unservable}}
                self.stats.request(model_id, engine_name, f"error_{request.error.status}")
            else:
                request.results.sort(key=lambda r: r["image"])
                for result in request.results:
                    result["timings"]["queue_ms"] = max(0.0, (batch_started - h["enqueued"]) * 1000)
                body = {"engine": engine_name, "pool": self.id, "note": note, "results": request.results,
                        "served_model": target["model_id"], "hardware_class": self.hardware_class,
                        "choice": target["choice"]}
                self.stats.request(model_id, engine_name, "ok", images=len(request.results))
                self.stats.observe("queue_seconds", model_id, engine_name, max(0.0, batch_started - h["enqueued"]))
            key = channel.reply_key(h["id"])
            pipe.rpush(key, channel.reply_pack(body, _blobs_taken(body)))
            pipe.expire(key, 60)
        pipe.execute()


def _blobs_taken(body: dict) -> list[bytes]:
    """Raw head outputs moved out of the results into the reply's binary part (each result names its blob)."""
    blobs = []
    for result in body.get("results", []):
        raw = result.pop("raw", None)
        if raw is not None:
            result["raw"] = {"blob": len(blobs), "shape": list(raw.shape)}
            blobs.append(raw.astype("<f4", copy=False).tobytes())
    return blobs
