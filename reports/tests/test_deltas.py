"""'Within noise' judged by statistics, on constructed data whose answer is known: timings by a bootstrap CI of the
difference of medians from the raw timings, mAP by the resolution of its validation set. Before, noise was the
per-iteration IQR (not the uncertainty of a median) and mAP had none, so neither verdict came out right."""
import numpy as np
import pytest

from reports.deltas import bootstrap_difference_ci, delta, map_resolution
from tests.support.results import report_row, shapes_dataset_row, trained_run_row


def _timings(median_ms: float, *, n: int = 400, seed: int) -> list[float]:
    """Lognormal timings with a wide spread (IQR about 40 % of the median), like a busy shared CPU."""
    return (median_ms * np.random.default_rng(seed).lognormal(0.0, 0.3, n)).tolist()


def _metric(samples: list[float]) -> dict:
    return {"label": "p50 per image", "value": float(np.median(samples)), "better": "lower", "unit": "ms",
            "spread": float(np.subtract(*np.percentile(samples, [75, 25]))), "spread_kind": "IQR",
            "samples": samples, "statistic": "median"}


def test_two_runs_of_the_same_engine_differ_within_noise():
    a, b = _timings(20.0, seed=1), _timings(20.0, seed=2)  # one distribution: any difference is noise
    found = delta(key="p50_ms_per_image", subject=_metric(a), baseline=_metric(b))
    assert found["abs"] != 0 and found["within_noise"] is True and found["verdict"] == "within noise"
    low, high = found["noise_interval"]
    assert low < 0 < high and "bootstrap" in found["noise_kind"]


def test_a_real_5_percent_slowdown_is_worse_though_smaller_than_the_iqr():
    a, b = _timings(21.0, seed=3), _timings(20.0, seed=4)  # 5 % slower; the IQR is about 8 ms
    found = delta(key="p50_ms_per_image", subject=_metric(a), baseline=_metric(b))
    assert abs(found["abs"]) < _metric(a)["spread"]  # the old rule (|change| <= IQR) called this noise
    assert found["within_noise"] is False and found["verdict"] == "worse"


def test_the_bootstrap_interval_covers_a_known_shift():
    low, high = bootstrap_difference_ci(_timings(25.0, seed=5, n=1000), _timings(20.0, seed=6, n=1000))
    assert low < 5.0 < high and high - low < 2.0


def _map(value: float, instances: int) -> dict:
    return {"label": "mAP50-95", "value": value, "better": "higher", "resolution": map_resolution(
        value=value, instances=instances), "resolution_kind": f"resolution of {instances} instances"}


def test_a_map_change_smaller_than_the_validation_set_can_resolve_is_within_noise():
    tiny = delta(key="map50_95", subject=_map(0.6601, 500), baseline=_map(0.6600, 500))
    real = delta(key="map50_95", subject=_map(0.5600, 500), baseline=_map(0.6600, 500))
    assert tiny["verdict"] == "within noise" and tiny["noise"] == pytest.approx(1.96 * (0.66 * 0.34 / 500) ** 0.5)
    assert real["verdict"] == "worse" and real["within_noise"] is False


def test_the_resolution_of_a_tiny_set_is_at_least_one_instance():
    assert map_resolution(value=0.0, instances=8) == pytest.approx(1 / 8)
    assert map_resolution(value=0.5, instances=0) is None


def test_a_training_runs_map_change_the_validation_split_cannot_resolve_is_within_noise(alice, db):
    from reports.snapshot_schema import snapshot_errors

    dataset = shapes_dataset_row(owner=alice)
    dataset.report = {"splits": {"val": {"images": 60, "instances": 200}}}
    dataset.save(update_fields=["report"])
    baseline = trained_run_row(owner=alice, dataset=dataset)
    nudged = trained_run_row(owner=alice, dataset=dataset, scale=1.001)  # mAP50-95 up by about 5e-4
    snapshot = report_row(owner=alice, subject_kind="training_run", subject_id=nudged.pk, baseline_kind="training_run",
                          baseline_id=baseline.pk).snapshot
    assert snapshot_errors(snapshot) == []
    found = {d["metric"]: d for d in snapshot["deltas"]}["map50_95"]
    assert found["verdict"] == "within noise" and "200 instances" in found["noise_kind"]  # before: "better"
    assert any("Noise:" in note for note in snapshot["notes"])
    assert "samples" not in snapshot["metrics"]["map50_95"]


def test_a_large_side_is_subsampled_and_still_resolves_a_real_shift():
    import time

    started = time.perf_counter()
    low, high = bootstrap_difference_ci(_timings(21.0, seed=8, n=5000), _timings(20.0, seed=9, n=5000))
    assert 0 < low < 1.0 < high and time.perf_counter() - started < 5.0
