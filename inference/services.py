"""Predictions from the web process: queue on Redis for the pool and wait for the reply until the deadline; each
failure is a domain error (core/errors.py). The APIs count every answer in the web-side metrics (metrics.py)."""
import logging
import time
import uuid

import redis
from django.conf import settings
from django.db import transaction

from core.errors import DomainError, TimedOut, Unavailable, without_paths
from registry.models import ModelVersion
from serving.selectors import ModelUnservable, serving_check_servable

from . import channel

log = logging.getLogger(__name__)


class PredictionQueueFull(Unavailable):
    """The 503 a prediction gets when its model's request queue is full."""

    retry_after = 1  # the answer's Retry-After header


class DeadlinePassed(TimedOut):
    pass


class PoolError(DomainError):
    """The pool's own error answer for a request, with the status it gave (400 bad image size, 404, 409, 5xx)."""

    def __init__(self, status: int, message: str, **extra):
        super().__init__(message, **extra)
        self.status = status


_SERVABLE_SECONDS = 0.5  # as long as channel.pools_live keeps the pools' heartbeats
_servable: dict[tuple, float] = {}


def _servable_checked(model) -> None:
    """serving_check_servable, remembered for half a second per model once it passed: it costs database queries
    (the serving choices), which every request would otherwise pay. The pool resolves the model itself anyway."""
    key, now = (model.pk, model.format), time.monotonic()
    if now - _servable.get(key, -_SERVABLE_SECONDS) < _SERVABLE_SECONDS:
        return
    serving_check_servable(model=model, pools=channel.pools_live())
    if len(_servable) > 10_000:
        _servable.clear()
    _servable[key] = now


def pool_answer(*, model, header: dict, images: list[bytes], timeout_ms: int | None,
                announcement: channel.Announcement | None = None) -> dict:
    """Queue `images` for `model` (the user may see it) with the pool's request `header`, and wait for the reply;
    the API's errors for a full queue (503), a passed deadline (504), Redis down (503) and the pool's own answers."""
    try:
        _servable_checked(model)  # 503 / 409 before anything is queued
        timeout_ms = timeout_ms or settings.INFERENCE_TIMEOUT_MS
        deadline = time.time() + timeout_ms / 1000
        try:
            request_id = channel.request_submit(model_id=model.pk, header=header, images=images,
                                                deadline=deadline, max_queue=settings.INFERENCE_MAX_QUEUE)
            if announcement is not None:
                announcement.queued = True  # the pool takes it off the announced count as it pops it
        except channel.RequestQueueFull as full:
            raise PredictionQueueFull(f"Model {model.pk} has {full.depth} requests queued (INFERENCE_MAX_QUEUE="
                                      f"{settings.INFERENCE_MAX_QUEUE}); retry shortly or add inference pool "
                                      "processes.") from None
        reply = channel.reply_wait(request_id, deadline)
    except redis.RedisError as exc:
        raise Unavailable(f"Redis is unreachable, so the inference pool cannot be reached: {exc}") from exc
    if reply is None:
        raise DeadlinePassed(f"No answer within the {timeout_ms} ms deadline (the inference pool is busy or slow).")
    if "error" in reply:
        raise _pool_error(reply["error"], model_id=model.pk)
    return reply


def inference_predict(*, model, params: dict, images: list[bytes],
                      announcement: channel.Announcement | None = None) -> dict:
    """Run `images` through `model`'s warm engine in the pool (the user may see it); the JSON answer for the API."""
    started = time.perf_counter()
    # The pool that takes it resolves what serves the model on its own hardware class (serving/).
    header = {"conf": params["conf"], "iou": params["iou"], "max_det": params["max_det"],
              "imgsz": params.get("imgsz")}
    reply = pool_answer(model=model, header=header, images=images, timeout_ms=params.get("timeout_ms"),
                        announcement=announcement)
    total_ms = (time.perf_counter() - started) * 1000
    for result in reply["results"]:
        result["engine"] = reply["engine"]
        result["timings"]["total_ms"] = total_ms
        result["timings"] = {k: round(v, 3) for k, v in result["timings"].items()}
    body = {"model": model.pk, "served_model": reply["served_model"], "engine": reply["engine"],
            "hardware_class": reply["hardware_class"], "choice": reply["choice"], "pool": reply["pool"],
            "results": reply["results"]}
    if reply.get("note"):
        body["note"] = reply["note"]
    return body


def _pool_error(error: dict, *, model_id: int) -> DomainError:
    """The API error for a pool's error reply: a model that cannot load is marked not servable (a 422 from now on,
    without a trip to the pool); a 5xx is logged under an error id that the answer quotes, like every API 500."""
    detail = without_paths(error["detail"])
    if error.get("unservable"):
        model_unservable_mark(model_id=model_id, reason=detail)
        _servable.clear()  # the next request is answered 422 here, without the half-second grace
        return ModelUnservable(detail)
    if error["status"] >= 500:
        error_id = uuid.uuid4().hex[:12]
        log.error("error %s: inference pool answered %s for model %s: %s", error_id, error["status"], model_id, detail)
        return PoolError(error["status"], f"The inference pool failed on this request (error id {error_id}); it has "
                                          "been logged.", error_id=error_id)
    return PoolError(error["status"], detail)


def model_unservable_mark(*, model_id: int, reason: str) -> None:
    """Record on the version that no engine can load its file; serving_check_servable then answers 422 at once. In the
    metadata, not a column: uploading a fixed file makes a new version, so the mark never needs clearing."""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().filter(pk=model_id).first()
        if version is not None and not version.metadata.get("unservable"):
            version.metadata = {**version.metadata, "unservable": reason[:500]}
            version.save(update_fields=["metadata"])


def inference_pools_health() -> dict:
    """The live pool processes as the health API shows them (status "down" when none); 503 when Redis is down."""
    try:
        pools = channel.pools_live(max_age=0)
    except Exception as exc:
        raise Unavailable(f"Redis is unreachable: {exc}") from exc
    now = time.time()
    workers = [{"id": p["id"], "host": p["host"], "hardware_class": p.get("hardware_class"), "pid": p["pid"],
                "heartbeat_age_s": round(now - p["at"], 2),
                "uptime_s": round(now - p["started"]), "rss_mb": p.get("rss_mb"), "batches": p.get("batches"),
                "max_batch": p.get("max_batch"), "batch_window_ms": p.get("batch_window_ms"),
                "engines": sorted(n for n, i in p.get("engines", {}).items() if i.get("available")),
                "unavailable_engines": {n: i.get("reason") for n, i in p.get("engines", {}).items()
                                        if not i.get("available")},
                "models": p.get("models", [])} for p in pools]
    return {"status": "ok" if workers else "down", "processes": len(workers), "workers": workers}
