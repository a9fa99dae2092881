"""Pool-side counters and histograms, kept in plain dicts so they travel in the pool's heartbeat JSON.

The web process's `/metrics` turns every live pool's snapshot into Prometheus series labelled by pool
(see inference/metrics.py): the pool processes need no HTTP port and no shared directory.
"""
import threading

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class Histogram:
    def __init__(self, buckets):
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[index] += 1
                break
        self.sum += value
        self.count += 1

    def snapshot(self) -> dict:
        cumulative, running = [], 0
        for count in self.counts:
            running += count
            cumulative.append(running)
        return {"buckets": list(self.buckets), "cumulative": cumulative, "sum": self.sum, "count": self.count}


class PoolStats:
    """Thread-safe: the serving loop records, the heartbeat thread snapshots."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: dict[tuple, int] = {}
        self.images: dict[tuple, int] = {}
        self.histograms: dict[tuple, Histogram] = {}

    def request(self, model: int, engine: str, outcome: str, images: int = 0) -> None:
        with self.lock:
            key = (str(model), engine, outcome)
            self.requests[key] = self.requests.get(key, 0) + 1
            if images:
                self.images[key[:2]] = self.images.get(key[:2], 0) + images

    def observe(self, metric: str, model: int, engine: str, value: float) -> None:
        with self.lock:
            key = (metric, str(model), engine)
            if key not in self.histograms:
                self.histograms[key] = Histogram(BATCH_BUCKETS if metric == "batch_size" else LATENCY_BUCKETS)
            self.histograms[key].observe(value)

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "requests": [[*key, count] for key, count in self.requests.items()],
                "images": [[*key, count] for key, count in self.images.items()],
                "histograms": [[*key, hist.snapshot()] for key, hist in self.histograms.items()],
            }
