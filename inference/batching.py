"""Batching in the pool: collect a model's queued requests for a short window, drop the expired ones, group the
rest by what serves them, and run their images through an engine in batches (decode, preprocess, run, postprocess).
"""
import time
from dataclasses import dataclass, field

from core.yolo_processing import (ImageDecodeError, detections_json, image_decode, image_shape, postprocess,
                                  preprocess, tensor_image)

from . import channel


class RequestError(Exception):
    """A request the pool answers with an error status instead of results."""

    def __init__(self, status: int, detail: str, *, unservable: bool = False):
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.unservable = unservable  # the model's file cannot be loaded: the web side stops sending it here


@dataclass
class Pending:
    header: dict
    images: list[bytes]
    results: list = field(default_factory=list)
    error: RequestError | None = None


def collect(redis, *, model_id: int, max_batch: int, window: float) -> list[Pending]:
    """Pop up to `max_batch` images' worth of requests for `model_id`. Once the first arrived, wait up to `window`
    seconds for more only while the web side has announced others (channel.Announcement): a lone request goes at
    once, concurrent ones share a batch."""
    left, blobs = channel.requests_pop(redis, model_id, max_batch)
    if not blobs:
        return []
    pending = [Pending(*channel.request_unpack(blob)) for blob in blobs]
    count = sum(len(p.images) for p in pending)
    if window > 0 and left > 0:
        # Poll rather than BLPOP: Redis fires blocking-pop timeouts on its server tick (hz 10 by default),
        # so a 2 ms BLPOP can last up to 100 ms.
        end = time.monotonic() + window
        while count < max_batch and left > 0:
            left, more = channel.requests_pop(redis, model_id, max_batch - count)
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


def split_expired(pending: list[Pending], now: float) -> tuple[list[Pending], list[Pending]]:
    """(live, expired): an expired request's web process has already answered 504."""
    live = [request for request in pending if request.header["deadline"] >= now]
    return live, [request for request in pending if request.header["deadline"] < now]


def group(requests: list[Pending]) -> dict[tuple, list[Pending]]:
    """Requests by (format, stored file, selected engine, imgsz): each group runs on one engine at one size."""
    groups: dict[tuple, list[Pending]] = {}
    for request in requests:
        h = request.header
        groups.setdefault((h["format"], h["file"], h.get("engine", ""), h.get("imgsz")), []).append(request)
    return groups


def run_chunk(engine, size: int, items: list[tuple[Pending, int]]) -> dict | None:
    """Run one batch of (request, image index) items through `engine` at `size`; each request gets its results
    (or a 400 for an image that does not decode). Returns the batch's size and timings, None when nothing ran."""
    t0 = time.perf_counter()
    decoded = []
    for request, index in items:
        if request.error is not None:
            continue
        if request.header.get("tensor"):  # a preprocessed 3xHxW FP32 image (v2 infer): no decode, no letterbox
            decoded.append((request, index, tensor_image(request.images[index], request.header["tensor"],
                                                         request.header.get("tensor_dtype", "f4"))))
            continue
        try:
            decoded.append((request, index, image_decode(request.images[index])))
        except ImageDecodeError as exc:
            request.error = RequestError(400, f"image[{index}] {exc}")
    decoded = [d for d in decoded if d[0].error is None]
    if not decoded:
        return None
    batch = preprocess([image for _, _, image in decoded], size)
    t1 = time.perf_counter()
    output = engine.run(batch)
    t2 = time.perf_counter()
    rows = []
    for position, (request, index, image) in enumerate(decoded):
        h = request.header
        rows.append(postprocess(output[position], imgsz=size, orig_shape=image_shape(image), conf=h["conf"],
                                iou=h["iou"], max_det=h["max_det"]))
    t3 = time.perf_counter()
    n = len(decoded)
    timings = {"preprocess_ms": (t1 - t0) * 1000, "inference_ms": (t2 - t1) * 1000,
               "postprocess_ms": (t3 - t2) * 1000}
    for position, ((request, index, image), found) in enumerate(zip(decoded, rows)):
        height, width = image_shape(image)
        request.results.append({"image": index, "width": width, "height": height,
                                "batch_size": n, "imgsz": size, "timings": dict(timings),
                                "detections": detections_json(found, request.header["class_names"])})
        if request.header.get("raw"):  # the head's output itself (v2 `output0`), sent back as bytes
            request.results[-1]["raw"] = output[position]
    return {"batch_size": n, "inference_seconds": (t2 - t1)}
