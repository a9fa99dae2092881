"""One collector module per subject kind. Adding a kind is one module with resolve / title_of / collect.

A kind whose app has no models yet (benchmarks, searches while they are being built) is "not available": the
API answers 400 naming `subject` instead of failing later in the worker.
"""
import importlib

KINDS = ("benchmark", "training_run", "search", "model")


class SubjectUnavailable(Exception):
    """The kind is known but its app cannot be reported on (yet) on this installation."""


def collector_for(kind: str):
    if kind not in KINDS:
        raise KeyError(kind)
    try:
        module = importlib.import_module(f"{__name__}.{kind}")
    except ImportError as exc:
        raise SubjectUnavailable(f"subject kind {kind!r} is not available yet ({exc})") from exc
    if not getattr(module, "AVAILABLE", True):
        raise SubjectUnavailable(f"subject kind {kind!r} is not available yet")
    return module

