"""Batching alone: requests queued on Redis are collected within the window up to the batch size, expired ones
are set apart, groups follow what serves them, and a batch's images get results (or a 400 for an undecodable one).
"""
import io
import time

import numpy as np
import pytest
from PIL import Image

from inference import channel
from inference.batching import Pending, collect, group, run_chunk, split_expired


def png(width=40, height=30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def header(**fields) -> dict:
    return {"format": "onnx", "file": "m.onnx", "engine": "", "imgsz": None, "deadline": time.time() + 60,
            "conf": 0.25, "iou": 0.7, "max_det": 300, "class_names": ["a", "b", "c"], **fields}


class ZerosEngine:
    """Answers a YOLO-shaped output with no confident box, recording the batch shapes it ran."""

    name = "fake"

    def __init__(self):
        self.batches = []

    def run(self, batch):
        self.batches.append(batch.shape)
        return np.zeros((batch.shape[0], 4 + 3, 84), dtype=np.float32)


@pytest.fixture
def queue(settings):
    redis = channel.channel_redis()
    model_id = 987654
    redis.delete(channel.queue_key(model_id))
    yield redis, model_id
    redis.delete(channel.queue_key(model_id))


def test_requests_already_queued_are_collected_up_to_the_batch_size(queue):
    redis, model_id = queue
    for _ in range(5):  # queued without the READY notice, so a pool process another test started leaves them
        redis.rpush(channel.queue_key(model_id), channel.request_pack(header(), [png()]))

    first = collect(redis, model_id=model_id, max_batch=3, window=0.01)
    rest = collect(redis, model_id=model_id, max_batch=3, window=0)

    assert [len(p.images) for p in first] == [1, 1, 1]
    assert len(rest) == 2
    assert collect(redis, model_id=model_id, max_batch=3, window=0) == []


def test_expired_requests_are_set_apart_and_the_rest_grouped_by_what_serves_them():
    old = Pending(header(deadline=time.time() - 1), [png()])
    a, b = Pending(header(), [png()]), Pending(header(imgsz=96), [png()])
    c = Pending(header(), [png()])

    live, expired = split_expired([old, a, b, c], time.time())

    assert expired == [old]
    assert group(live) == {("onnx", "m.onnx", "", None): [a, c], ("onnx", "m.onnx", "", 96): [b]}


def test_a_batch_runs_every_decodable_image_once_and_an_undecodable_one_is_a_400():
    good = Pending(header(), [png(), png(64, 48)])
    bad = Pending(header(), [b"\x89PNG not really"])
    engine = ZerosEngine()

    ran = run_chunk(engine, 64, [(good, 0), (good, 1), (bad, 0)])

    assert engine.batches == [(2, 3, 64, 64)]
    assert ran["batch_size"] == 2
    assert [(r["image"], r["width"], r["height"], r["detections"]) for r in good.results] == [(0, 40, 30, []),
                                                                                            (1, 64, 48, [])]
    assert bad.error.status == 400 and bad.results == []


def test_a_lone_request_goes_at_once_and_announced_ones_are_waited_for(queue):
    import threading

    redis, model_id = queue
    redis.delete(channel.announced_key(model_id))
    blob = channel.request_pack(header(), [png()])
    redis.rpush(channel.queue_key(model_id), blob)
    started = time.monotonic()
    assert len(collect(redis, model_id=model_id, max_batch=8, window=5)) == 1
    assert time.monotonic() - started < 1, "a lone request waited for the window"

    with channel.Announcement(model_id) as first, channel.Announcement(model_id) as second:
        first.queued = second.queued = True  # as the web side marks them once queued
        redis.rpush(channel.queue_key(model_id), blob)
        threading.Timer(0.3, redis.rpush, args=(channel.queue_key(model_id), blob)).start()
        started = time.monotonic()
        batch = collect(redis, model_id=model_id, max_batch=8, window=5)
        waited = time.monotonic() - started
    assert len(batch) == 2 and 0.2 < waited < 4, waited  # waited for the second, and no longer
    assert int(redis.get(channel.announced_key(model_id))) == 0

    with channel.Announcement(model_id):  # refused before it was queued: it takes itself off
        assert int(redis.get(channel.announced_key(model_id))) == 1
    assert int(redis.get(channel.announced_key(model_id))) == 0
