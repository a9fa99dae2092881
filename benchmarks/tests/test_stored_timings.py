"""A long timed loop keeps every timing for its statistics but stores a bounded uniform sample of them."""
import numpy as np

from benchmarks.measure import timings_sample
from benchmarks.models import timings_unpack
from benchmarks.steps.load import Loaded
from benchmarks.steps.timing import engines_time
from benchmarks.tests.test_graph_rows import _State


class _InstantEngine:
    device = "cpu"
    name = "instant"

    def run(self, batch):
        return np.zeros((len(batch), 6, 8), dtype=np.float32)

    def counters(self):
        return {}


def test_a_row_stores_at_most_the_bound_of_raw_timings_and_its_stats_use_all(settings):
    from types import SimpleNamespace

    settings.BENCHMARK_MAX_STORED_TIMINGS = 100
    variant = SimpleNamespace(name="instant", engine="instant")
    state = _State([1], [Loaded(variant, _InstantEngine(), None, "fp32", 0.0, 0.0, {})])
    state.params["iterations"] = 3000
    engines_time(state)
    row = state.rows[0]
    assert row["iterations"] == 3000  # before: all 3000 timings were stored in the row as well
    assert timings_unpack(row["timings"]).size == 100 and row["details"]["timings_stored"] == 100


def test_the_sample_is_uniform_and_keeps_the_order():
    values = np.arange(100_000, dtype=np.float32)
    sample = timings_sample(values, limit=1000)
    assert sample.size == 1000 and np.all(np.diff(sample) > 0)
    assert abs(float(np.median(sample)) - 50_000) < 5_000
