"""The pool's warm models: an LRU of loaded engines keyed by (model id, engine), loaded and warmed up once,
bounded by a count (INFERENCE_MAX_MODELS) and optionally by the process' memory (INFERENCE_MAX_RSS_MB)."""
import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from core.errors import without_paths

from .batching import RequestError
from .engines import ENGINES, engine_choose

log = logging.getLogger("inference.pool")


@dataclass
class Loaded:
    engine: object
    note: str  # why the selected engine was not used, or ""
    last_used: float
    loaded_at: float = 0.0


def _load_engine(name: str, path: str):
    return ENGINES[name]().load(path)


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


class ModelCache:
    """`get` answers a warm engine for a model, loading it on first use and evicting the least recently used ones
    past the bounds. Thread-safe for the heartbeat thread's `describe` while the serving loop loads."""

    def __init__(self, *, engines: dict[str, dict], max_models: int, max_rss_mb: int = 0,
                 load: Callable[[str, str], object] = _load_engine, rss_mb: Callable[[], float] = _rss_mb):
        self.engines = engines  # engines_available(): name -> {"available": bool, "reason": str}
        self.available = {name for name, info in engines.items() if info["available"]}
        self.max_models, self.max_rss_mb = max_models, max_rss_mb
        self._load, self._rss_mb = load, rss_mb
        self.models: OrderedDict[tuple, Loaded] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, *, model_id: int, model_format: str, file: str, selected: str, imgsz: int, path=None) -> Loaded:
        """`file`: the model's name in the artifact store, which is content-addressed, so it names exactly the bytes
        (the cache's key, with the model and the engine). `path`: the local file, or a function that returns it
        (asked only when the model must be loaded); `file` itself when not given. Never key on `path`: a function
        is a new object on every request, and a warm model would then be loaded again for every prediction."""
        name, note = engine_choose(model_format=model_format, selected=selected, available=self.available)
        if name is None:
            reasons = "; ".join(f"{n}: {self.engines[n]['reason']}" for n in ENGINES
                                if model_format in ENGINES[n].formats and n in self.engines
                                and not self.engines[n]["available"])
            raise RequestError(409, f"this inference worker cannot serve {model_format} models ({reasons})")
        key = (model_id, name, file)
        loaded = self.models.get(key)
        if loaded is None:
            started = time.perf_counter()
            try:
                local = path() if callable(path) else (path or file)
                engine = self._load(name, local)
                engine.warmup(engine.fixed_imgsz or imgsz)
            except Exception as exc:
                log.exception("loading model %s with %s failed", model_id, name)
                # the file will not load the next time either: a 4xx the web side remembers (not servable), and
                # the message without the artifact store's path that engines quote
                raise RequestError(422, f"this model cannot be served: {name} could not load model {model_id}: "
                                        f"{without_paths(exc)[:500]}", unservable=True) from exc
            loaded = Loaded(engine=engine, note=note, last_used=time.time(), loaded_at=time.time())
            with self.lock:
                self.models[key] = loaded
            log.info("loaded model %s with %s in %.0f ms", model_id, name, (time.perf_counter() - started) * 1000)
            self._evict(keep=key)
        with self.lock:
            self.models.move_to_end(key)
        loaded.last_used = time.time()
        return loaded

    def _evict(self, keep: tuple) -> None:
        while len(self.models) > 1:
            over_count = len(self.models) > self.max_models
            over_memory = self.max_rss_mb and self._rss_mb() > self.max_rss_mb
            if not (over_count or over_memory):
                break
            oldest = next(iter(self.models))
            if oldest == keep:
                break
            with self.lock:
                self.models.pop(oldest)
            gc.collect()
            log.info("evicted model %s (%s)", oldest[0], oldest[1])

    def describe(self) -> list[dict]:
        """The loaded models for the pool's heartbeat."""
        with self.lock:
            return [{"model_id": key[0], "engine": loaded.engine.name, "note": loaded.note,
                     "loaded_at": loaded.loaded_at, "last_used": loaded.last_used,
                     **{k: v for k, v in loaded.engine.describe().items()
                        if k in ("input_shape", "dynamic_batch", "device")}}
                    for key, loaded in self.models.items()]
