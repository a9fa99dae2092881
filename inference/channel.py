"""The Redis protocol between the web process and the inference pool: queues, replies, pool heartbeats.

A request is one list item on `inference:q:<model id>`: a 4-byte big-endian header length, a JSON header, then the
images' original encoded bytes back to back (no base64). A token (the model id) goes on `inference:ready` so an
idle pool process wakes up with one BLPOP whatever the model. The pool answers with one JSON item on
`inference:reply:<request id>`, which the web process BLPOPs until the request's deadline.
Pool processes register under `inference:pools` with a heartbeat key `inference:pool:<id>` that expires.
"""
import functools
import math
import json
import struct
import time
import uuid

import redis
from django.conf import settings

from core.redis import redis_blocking_client, redis_client

PREFIX = "inference:"
READY = PREFIX + "ready"
POOLS = PREFIX + "pools"


def queue_key(model_id: int) -> str:
    return f"{PREFIX}q:{model_id}"


def reply_key(request_id: str) -> str:
    return f"{PREFIX}reply:{request_id}"


def pool_key(pool_id: str) -> str:
    return f"{PREFIX}pool:{pool_id}"


def announced_key(model_id: int) -> str:
    return f"{PREFIX}announced:{model_id}"


def channel_redis() -> redis.Redis:
    """The channel's client (core/redis.py): blocking pops wait up to a request's deadline, so its read timeout
    is longer than any deadline; every other command uses the short-timeout client."""
    return redis_blocking_client()


def request_pack(header: dict, images: list[bytes]) -> bytes:
    header = dict(header, sizes=[len(image) for image in images])
    head = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([struct.pack(">I", len(head)), head, *images])


def request_unpack(blob: bytes) -> tuple[dict, list[bytes]]:
    (length,) = struct.unpack(">I", blob[:4])
    header = json.loads(blob[4:4 + length])
    images, offset = [], 4 + length
    for size in header["sizes"]:
        images.append(blob[offset:offset + size])
        offset += size
    return header, images


class RequestQueueFull(Exception):
    """The model's request queue on Redis already holds `depth` requests (its max_queue)."""

    def __init__(self, depth: int):
        super().__init__(f"{depth} requests queued")
        self.depth = depth


# Check the queue's length and push the request and the wake-up token in one atomic step (one round trip).
_SUBMIT = """
local depth = redis.call('LLEN', KEYS[1])
if depth >= tonumber(ARGV[2]) then return -depth - 1 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[3])
return depth
"""


@functools.lru_cache(maxsize=4)
def _submit_script(url: str):
    return redis_client().register_script(_SUBMIT)  # EVALSHA after the first call


def request_submit(*, model_id: int, header: dict, images: list[bytes], deadline: float, max_queue: int) -> str:
    """Queue one request for `model_id`; returns its id. `deadline` is a wall-clock time (time.time()).

    RequestQueueFull when `max_queue` requests for the model are already waiting (nothing is queued then).
    """
    request_id = uuid.uuid4().hex
    blob = request_pack(dict(header, id=request_id, model_id=model_id, deadline=deadline, enqueued=time.time()), images)
    depth = _submit_script(settings.REDIS_URL)(keys=[queue_key(model_id), READY], args=[blob, max_queue, str(model_id)])
    if depth < 0:
        raise RequestQueueFull(-depth - 1)
    return request_id


ANNOUNCED_TTL = 60  # a web process that died between announcing and queueing stops counting after this


class Announcement:
    """A request the web process has accepted for a model and not yet queued (or given up on): `announced_key`
    counts them, and the pool waits its batching window only while that count says others are coming, so a lone
    request goes at once and concurrent ones still share a batch. Queueing hands the count over to the pool, which
    takes it off as it pops; a request refused before it is queued takes itself off here."""

    def __init__(self, model_id: int):
        self.key, self.queued = announced_key(model_id), False
        try:
            pipe = redis_client().pipeline(transaction=False)
            pipe.incr(self.key)
            pipe.expire(self.key, ANNOUNCED_TTL)
            pipe.execute()
        except redis.RedisError:
            self.queued = True  # nothing counted; the submit that follows answers the 503

    def __enter__(self) -> "Announcement":
        return self

    def __exit__(self, *exc) -> None:
        if not self.queued:
            try:
                redis_client().decr(self.key)
            except redis.RedisError:
                pass  # the count expires


# Pop up to ARGV[1] requests and take them off the announced count (never below 0); returns {count left, items}.
_POP = """
local items = redis.call('LPOP', KEYS[1], ARGV[1]) or {}
local left = tonumber(redis.call('GET', KEYS[2]) or '0')
if #items > 0 then left = redis.call('DECRBY', KEYS[2], #items) end
if left < 0 then redis.call('SET', KEYS[2], 0, 'EX', 60) left = 0 end
return {left, items}
"""


@functools.lru_cache(maxsize=4)
def _pop_script(url: str):
    return redis_client().register_script(_POP)


def requests_pop(redis_connection, model_id: int, count: int) -> tuple[int, list[bytes]]:
    """(requests announced and not yet popped, up to `count` queued requests popped), in one round trip."""
    left, items = _pop_script(settings.REDIS_URL)(keys=[queue_key(model_id), announced_key(model_id)], args=[count],
                                                  client=redis_connection)
    return int(left), list(items)


def blpop_timeout(seconds: float) -> str:
    """A BLPOP timeout Redis will not round down to 0 (= block forever): whole milliseconds plus 0.4 ms."""
    return f"{max(1, math.ceil(seconds * 1000)) / 1000 + 0.0004:.4f}"


def reply_wait(request_id: str, deadline: float) -> dict | None:
    """The pool's reply, or None when the deadline passed first."""
    remaining = deadline - time.time()
    if remaining <= 0:
        return None
    item = channel_redis().blpop([reply_key(request_id)], timeout=blpop_timeout(remaining))
    return reply_unpack(item[1]) if item else None


def reply_pack(body: dict, blobs: list[bytes]) -> bytes:
    """A reply: plain JSON, or (with binary outputs, e.g. a raw head tensor) packed like a request, with the blobs
    in the body's `blobs` order; a packed reply never starts with `{` (its first byte is a length's high byte)."""
    return request_pack(body, blobs) if blobs else json.dumps(body, separators=(",", ":")).encode()


def reply_unpack(item: bytes) -> dict:
    if item[:1] == b"{":
        return json.loads(item)
    body, blobs = request_unpack(item)
    body["blobs"] = blobs
    return body


_pools_cache: dict[str, tuple[float, list]] = {}


def pools_live(max_age: float = 0.5) -> list[dict]:
    """The live pool processes' heartbeats (cached for `max_age` seconds in this process, per Redis)."""
    now = time.monotonic()
    cached = _pools_cache.get(settings.REDIS_URL)
    if cached and now - cached[0] < max_age:
        return cached[1]
    client = redis_client()
    ids = sorted(member.decode() for member in client.smembers(POOLS))
    pools = []
    if ids:
        for pool_id, raw in zip(ids, client.mget([pool_key(i) for i in ids])):
            if raw is None:
                client.srem(POOLS, pool_id)  # its heartbeat expired: the process is gone
            else:
                pools.append(json.loads(raw))
    _pools_cache[settings.REDIS_URL] = (now, pools)
    return pools
