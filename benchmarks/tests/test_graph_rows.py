"""A benchmark row of the CUDA-graph engine says how many of its calls replayed a graph: measured on the CPU with
the engine's bucket logic real and only its CUDA capture faked (inference/tests/test_graph_buckets.py)."""
from types import SimpleNamespace

import numpy as np

from benchmarks.steps.load import Loaded, engine_load
from benchmarks.steps.timing import engines_time
from inference.tests.test_graph_buckets import _CpuGraphEngine


class _State:
    """The slice of a running benchmark that the timing step uses; rows are kept instead of written."""

    def __init__(self, batch_sizes, loaded):
        self.params = {"imgsz": 64, "batch_sizes": batch_sizes, "warmup": 2, "iterations": 5, "min_seconds": 0.0}
        self.ctx = SimpleNamespace(checkpoint=lambda: None)
        self.samples, self.fraction, self.rows, self.loaded, self.base_rss_mb = None, 0.0, [], loaded, 0.0

    def advance(self, done, total):
        pass

    def progress(self, message):
        pass

    def note_concurrent(self, label):
        pass

    def batch(self, batch_size, imgsz):
        return np.random.default_rng(0).random((batch_size, 3, imgsz, imgsz), dtype=np.float32)

    def row(self, variant, batch_size, status, reason="", **fields):
        self.rows.append({"batch_size": batch_size, "status": status, **fields})


def test_each_graph_row_records_its_replays_and_a_batch_8_row_replays(tiny_weights):
    engine = _CpuGraphEngine().load(tiny_weights, device="cpu")
    variant = SimpleNamespace(name="pytorch-cuda-fp16-graph", engine="pytorch-cuda-fp16-graph")
    state = _State([1, 8], [Loaded(variant, engine, None, "fp16", 0.1, 0.0, engine.describe())])

    engines_time(state)

    by_batch = {row["batch_size"]: row for row in state.rows}
    for batch in (1, 8):  # cold run + 1 warm-up + 5 timed, every one a replay of that batch size's own graph
        assert by_batch[batch]["status"] == "measured"
        assert by_batch[batch]["details"]["graph_replays"] == 7, by_batch[batch]["details"]
        assert by_batch[batch]["details"]["eager_calls"] == 0
    assert sorted(engine.buckets) == [(1, 64), (8, 64)]


def test_loading_the_graph_variant_captures_the_benchmarks_batch_sizes_up_front(tiny_weights, monkeypatch, tmp_path):
    from benchmarks.steps import load
    from benchmarks.variants import VARIANTS
    from inference.engines import ENGINES

    monkeypatch.setitem(ENGINES, "pytorch-cuda-fp16-graph", _CpuGraphEngine)
    monkeypatch.setattr(load, "model_file_local", lambda version: SimpleNamespace(held=lambda: tiny_weights))
    version = SimpleNamespace(file="tiny.pt", format="pytorch")
    state = SimpleNamespace(params={"batch_sizes": [1, 4], "imgsz": 64}, progress=lambda message: None,
                            row=lambda *args, **kwargs: None)
    loaded = engine_load(state, VARIANTS["pytorch-cuda-fp16-graph"], version)
    assert loaded.described["graph_buckets"] == ["b1x64", "b4x64"]
