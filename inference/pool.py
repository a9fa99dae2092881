"""The inference pool process: pops requests from Redis, batches them per model, runs warm engines, replies.

One process serves every model; start more processes (on more hosts, all pointed at the same Redis) to scale.
Models stay loaded in an LRU bounded by INFERENCE_MAX_MODELS and INFERENCE_MAX_RSS_MB, are warmed up by one dummy
run when they load, and INFERENCE_PRELOAD lists model ids to load at start.
"""
import gc
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

import psutil
from django.conf import settings

from . import channel
from .engines import ENGINES, engine_choose, engines_available
from .processing import ImageDecodeError, detections_json, image_decode, postprocess, preprocess
from .stats import PoolStats

log = logging.getLogger("inference.pool")


class RequestError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass
class Pending:
    header: dict
    images: list[bytes]
    decoded: list = field(default_factory=list)
    results: list = field(default_factory=list)
    error: RequestError | None = None


@dataclass
class Loaded:
    engine: object
    note: str
    last_used: float


class InferencePool:
    def __init__(self, *, pool_id: str | None = None):
        self.id = pool_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        self.redis = channel.channel_redis()
        self.max_batch = settings.INFERENCE_MAX_BATCH
        self.window = settings.INFERENCE_BATCH_WINDOW_MS / 1000
        self.models: OrderedDict[tuple, Loaded] = OrderedDict()
        self.stats = PoolStats()
        self.engines = engines_available()
        self.available = {name for name, info in self.engines.items() if info["available"]}
        self.started = time.time()
        self.stopping = threading.Event()
        self.batches = 0
        self.lock = threading.Lock()

    # --- registration ------------------------------------------------------------------------
    def heartbeat(self) -> None:
        with self.lock:
            models = [{"model_id": key[0], "engine": loaded.engine.name, "note": loaded.note,
                       "last_used": loaded.last_used, **{k: v for k, v in loaded.engine.describe().items()
                                                          if k in ("input_shape", "dynamic_batch", "device")}}
                      for key, loaded in self.models.items()]
        body = {"id": self.id, "host": socket.gethostname(), "pid": os.getpid(), "started": self.started,
                "at": time.time(), "engines": self.engines, "models": models, "batches": self.batches,
                "max_batch": self.max_batch, "batch_window_ms": self.window * 1000,
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

    # --- models ------------------------------------------------------------------------------
    def model_get(self, *, model_id: int, model_format: str, path: str, selected: str, imgsz: int) -> Loaded:
        name, note = engine_choose(model_format=model_format, selected=selected, available=self.available)
        if name is None:
            reasons = "; ".join(f"{n}: {self.engines[n]['reason']}" for n in ENGINES
                                if model_format in ENGINES[n].formats and not self.engines[n]["available"])
            raise RequestError(409, f"this inference worker cannot serve {model_format} models ({reasons})")
        key = (model_id, name)
        loaded = self.models.get(key)
        if loaded is None:
            started = time.perf_counter()
            try:
                engine = ENGINES[name]().load(path)
                engine.warmup(engine.fixed_imgsz or imgsz)
            except Exception as exc:
                log.exception("loading model %s with %s failed", model_id, name)
                raise RequestError(500, f"{name} could not load model {model_id}: {exc}") from exc
            loaded = Loaded(engine=engine, note=note, last_used=time.time())
            with self.lock:
                self.models[key] = loaded
            log.info("loaded model %s with %s in %.0f ms", model_id, name, (time.perf_counter() - started) * 1000)
            self._evict(keep=key)
        with self.lock:
            self.models.move_to_end(key)
        loaded.last_used = time.time()
        return loaded

    def _evict(self, keep: tuple) -> None:
        limit_mb = settings.INFERENCE_MAX_RSS_MB
        while len(self.models) > 1:
            over_count = len(self.models) > settings.INFERENCE_MAX_MODELS
            over_memory = limit_mb and psutil.Process().memory_info().rss / 2**20 > limit_mb
            if not (over_count or over_memory):
                break
            oldest = next(iter(self.models))
            if oldest == keep:
                break
            with self.lock:
                self.models.pop(oldest)
            gc.collect()
            log.info("evicted model %s (%s)", *oldest)

    def preload(self, model_ids: list[int]) -> None:
        from .selectors import inference_target_for_preload

        for model_id in model_ids:
            try:
                target = inference_target_for_preload(model_id=model_id)
                self.model_get(model_id=target["model_id"], model_format=target["format"], path=target["path"],
                               selected=target["engine"], imgsz=target["default_imgsz"])
            except Exception as exc:
                log.error("preloading model %s failed: %s", model_id, getattr(exc, "detail", exc))

    # --- serving -----------------------------------------------------------------------------
    def serve_forever(self) -> None:
        self.heartbeat()
        thread = threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True)
        thread.start()
        log.info("inference pool %s ready: engines %s, batch window %.1f ms, max batch %d", self.id,
                 sorted(self.available), self.window * 1000, self.max_batch)
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

    def _collect(self, model_id: int) -> list[Pending]:
        key = channel.queue_key(model_id)
        blobs = self.redis.lpop(key, self.max_batch) or []
        if not blobs:
            return []
        pending = [Pending(*channel.request_unpack(blob)) for blob in blobs]
        count = sum(len(p.images) for p in pending)
        if self.window > 0:
            # Poll rather than BLPOP: Redis fires blocking-pop timeouts on its server tick (hz 10 by default),
            # so a 2 ms BLPOP can last up to 100 ms.
            end = time.monotonic() + self.window
            while count < self.max_batch:
                more = self.redis.lpop(key, self.max_batch - count)
                if more:
                    for blob in more:
                        pending.append(Pending(*channel.request_unpack(blob)))
                        count += len(pending[-1].images)
                    continue
                remaining = end - time.monotonic()
                if remaining <= 0:
                    break
                time.sleep(min(0.0005, remaining))
        return pending

    def serve_model(self, model_id: int) -> None:
        pending = self._collect(model_id)
        if not pending:
            return
        now = time.time()
        live = []
        for request in pending:
            if request.header["deadline"] < now:  # the web process already answered 504
                self.stats.request(model_id, request.header.get("engine") or "", "expired")
            else:
                live.append(request)
        groups: dict[tuple, list[Pending]] = {}
        for request in live:
            h = request.header
            groups.setdefault((h["format"], h["path"], h.get("engine", ""), h.get("imgsz")), []).append(request)
        for (model_format, path, selected, imgsz), requests in groups.items():
            self._serve_group(model_id, model_format, path, selected, imgsz, requests)

    def _serve_group(self, model_id, model_format, path, selected, imgsz, requests: list[Pending]) -> None:
        batch_started = time.time()
        engine_name = selected or "?"
        try:
            loaded = self.model_get(model_id=model_id, model_format=model_format, path=path, selected=selected,
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
            self._reply(model_id, engine_name, requests, batch_started)
            return
        items = [(request, index) for request in requests for index in range(len(request.images))]
        try:
            for start in range(0, len(items), self.max_batch):
                self._run_chunk(model_id, engine, size, items[start:start + self.max_batch])
        except Exception as exc:  # answer now rather than let every request in the batch time out
            log.exception("model %s failed on a batch", model_id)
            for request in requests:
                request.error = request.error or RequestError(500, f"{engine.name} failed: {exc}")
        self._reply(model_id, engine.name, requests, batch_started, note=loaded.note)

    def _run_chunk(self, model_id: int, engine, size: int, items: list) -> None:
        t0 = time.perf_counter()
        decoded = []
        for request, index in items:
            if request.error is not None:
                continue
            try:
                decoded.append((request, index, image_decode(request.images[index])))
            except ImageDecodeError as exc:
                request.error = RequestError(400, f"image[{index}] {exc}")
        decoded = [d for d in decoded if d[0].error is None]
        if not decoded:
            return
        batch = preprocess([image for _, _, image in decoded], size)
        t1 = time.perf_counter()
        output = engine.run(batch)
        t2 = time.perf_counter()
        rows = []
        for position, (request, index, image) in enumerate(decoded):
            h = request.header
            rows.append(postprocess(output[position], imgsz=size, orig_shape=image.shape[:2], conf=h["conf"],
                                    iou=h["iou"], max_det=h["max_det"]))
        t3 = time.perf_counter()
        n = len(decoded)
        self.batches += 1
        timings = {"preprocess_ms": (t1 - t0) * 1000, "inference_ms": (t2 - t1) * 1000,
                   "postprocess_ms": (t3 - t2) * 1000}
        self.stats.observe("batch_size", model_id, engine.name, n)
        self.stats.observe("inference_seconds", model_id, engine.name, t2 - t1)
        for (request, index, image), found in zip(decoded, rows):
            request.results.append({"image": index, "width": image.shape[1], "height": image.shape[0],
                                    "batch_size": n, "imgsz": size, "timings": dict(timings),
                                    "detections": detections_json(found, request.header["class_names"])})

    def _reply(self, model_id: int, engine_name: str, requests: list[Pending], batch_started: float,
               note: str = "") -> None:
        pipe = self.redis.pipeline(transaction=False)
        for request in requests:
            h = request.header
            if request.error is not None:
                body = {"error": {"status": request.error.status, "detail": request.error.detail}}
                self.stats.request(model_id, engine_name, f"error_{request.error.status}")
            else:
                request.results.sort(key=lambda r: r["image"])
                for result in request.results:
                    result["timings"]["queue_ms"] = max(0.0, (batch_started - h["enqueued"]) * 1000)
                body = {"engine": engine_name, "pool": self.id, "note": note, "results": request.results}
                self.stats.request(model_id, engine_name, "ok", images=len(request.results))
                self.stats.observe("queue_seconds", model_id, engine_name, max(0.0, batch_started - h["enqueued"]))
            key = channel.reply_key(h["id"])
            pipe.rpush(key, json.dumps(body, separators=(",", ":")))
            pipe.expire(key, 60)
        pipe.execute()
