"""The pool's cache of what serves each model on its own hardware class (serving/selectors.serving_resolve).

A request names only the model; the pool resolves it once and keeps the answer. Before each batch it reads one
Redis counter (serving/invalidation.py) that every serving change increments; when it moved, the cached answers are
dropped and resolved again on their next request. So no request pays a database query while serving stays the
same, and the first predict after a change (made by a benchmark's apply, the API or a deleted model) sees it.
"""
import logging

from django.db import close_old_connections

from core.errors import Conflict
from registry.models import ModelVersion
from serving.invalidation import serving_generation
from serving.selectors import ModelUnservable, serving_resolve

from .batching import RequestError

log = logging.getLogger("inference.pool")


class Resolutions:
    def __init__(self, *, redis, hardware_class: str, available: set[str]):
        self.redis, self.hardware_class, self.available = redis, hardware_class, available
        self.generation: bytes | None = None
        self.targets: dict[int, dict] = {}
        self.lookups = 0  # database resolutions so far (the tests check the hot path makes none)

    def _fresh(self) -> None:
        generation = serving_generation(self.redis)
        if generation != self.generation:
            self.targets.clear()
            self.generation = generation

    def resolve(self, model_id: int) -> dict:
        """The target for `model_id` on this pool; RequestError 404 (no such model) or 409 (nothing here loads it)."""
        self._fresh()
        target = self.targets.get(model_id)
        if target is None:
            target = self.targets[model_id] = self._lookup(model_id)
        return target

    def _lookup(self, model_id: int) -> dict:
        close_old_connections()  # a pool idle for hours may hold a connection the database has closed
        self.lookups += 1
        model = ModelVersion.objects.filter(pk=model_id).first()
        if model is None:
            raise RequestError(404, f"model {model_id} does not exist (any more)")
        try:
            return serving_resolve(model=model, hardware_class=self.hardware_class, available=self.available)
        except Conflict as exc:
            raise RequestError(409, exc.message) from None
        except ModelUnservable as exc:
            raise RequestError(422, exc.message, unservable=True) from None
