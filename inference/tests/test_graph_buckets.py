"""The CUDA-graph engine's buckets on the CPU, with only the CUDA capture primitive faked: a batch-8 call
captures its own bucket on first use and replays it after (before, only batch 1 was captured, in a warm-up the
benchmark never called, so its rows measured eager FP16), the bucket count is bounded, and the counters say
how many calls replayed a graph."""
import numpy as np
import pytest

from inference.engines import pytorch as engines


class _FakeGraph:
    """Stands in for torch.cuda.CUDAGraph: replay() recomputes the captured forward into the static output."""

    def __init__(self, engine, static_input, static_output):
        self.engine, self.static_input, self.static_output = engine, static_input, static_output
        self.replays = 0

    def replay(self):
        self.replays += 1
        self.static_output.copy_(self.engine._forward(self.static_input))


class _CpuGraphEngine(engines.PytorchCudaFp16GraphEngine):
    """The real bucket logic on the CPU in FP32: only the CUDA capture is replaced."""

    half = False
    device = "cpu"

    @classmethod
    def available(cls):
        return engines.PytorchEngine.available()

    availability = available  # a per-process cache of the probe (if the base has one) must not answer for CUDA

    def _capture_graph(self, static_input):
        with self.torch.inference_mode():
            static_output = self._forward(static_input).clone()
        return _FakeGraph(self, static_input, static_output), static_output


@pytest.fixture(scope="module")
def graph_engine(tiny_weights):
    return _CpuGraphEngine().load(tiny_weights, device="cpu")


def test_a_batch_8_call_captures_its_bucket_and_the_next_one_replays_it(graph_engine, tiny_weights):
    batch = np.random.default_rng(0).random((8, 3, 64, 64), dtype=np.float32)
    eager = engines.PytorchCpuEngine().load(tiny_weights).run(batch)
    before = graph_engine.counters()

    first = graph_engine.run(batch)
    second = graph_engine.run(batch)

    assert "b8x64" in graph_engine.describe()["graph_buckets"]
    graph = graph_engine.buckets[(8, 64)][0]
    assert graph.replays == 2  # captured on the first call, replayed by both
    after = graph_engine.counters()
    assert after["graph_replays"] - before["graph_replays"] == 2 and after["eager_calls"] == before["eager_calls"]
    np.testing.assert_allclose(first, eager, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(first, second)


def test_buckets_are_bounded_and_calls_past_the_bound_run_eagerly(tiny_weights, monkeypatch):
    monkeypatch.setattr(engines, "MAX_GRAPH_BUCKETS", 2)
    engine = _CpuGraphEngine().load(tiny_weights, device="cpu")
    engine.warmup(64, batch_sizes=(1, 2))  # the configured buckets, captured up front
    assert engine.describe()["graph_buckets"] == ["b1x64", "b2x64"]

    engine.run(np.zeros((3, 3, 64, 64), dtype=np.float32))  # a third shape: past the bound
    engine.run(np.zeros((1, 3, 64, 32), dtype=np.float32))  # not square: never captured
    engine.run(np.zeros((2, 3, 64, 64), dtype=np.float32))

    assert sorted(engine.buckets) == [(1, 64), (2, 64)]
    assert engine.counters() == {"graph_replays": 1, "eager_calls": 2}
