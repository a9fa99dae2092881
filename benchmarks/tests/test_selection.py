"""The selection's pure functions: per-constraint verdicts, ranking by the objective, and the nearest miss."""
from benchmarks.selection import candidates_from_rows, select


def _row(engine, precision, batch, p50, p95, p99, fps, map50_95=None, drop=None, rss=300.0, status="measured"):
    return {"engine": engine, "precision": precision, "batch_size": batch, "status": status, "p50_ms": p50,
            "p95_ms": p95, "p99_ms": p99, "fps": fps, "map50_95": map50_95, "map_drop": drop, "peak_rss_mb": rss,
            "device": "cpu", "source_model": 7}


ROWS = [
    _row("pytorch-cpu", "fp32", 1, 140, 150, 160, 7, 0.66, 0.0),
    _row("pytorch-cpu", "fp32", 8, 900, 950, 990, 9, 0.66, 0.0),
    _row("onnxruntime-cpu", "fp32", 1, 67, 70, 75, 15, 0.66, 0.0),
    _row("openvino-cpu", "bf16", 1, 29, 31.4, 33, 34, 0.659, 0.001),
    _row("openvino-cpu", "int8", 1, 14, 15, 16, 70, 0.61, 0.05),
    _row("tensorrt", "fp16", 1, None, None, None, None, status="unavailable"),
]


def test_each_setup_is_a_candidate_with_its_own_row_figures():
    candidates = {(c["engine"], c["precision"], c["batch_size"]): c for c in candidates_from_rows(ROWS)}
    assert set(candidates) == {("pytorch-cpu", "fp32", 1), ("pytorch-cpu", "fp32", 8), ("onnxruntime-cpu", "fp32", 1),
                               ("openvino-cpu", "bf16", 1), ("openvino-cpu", "int8", 1)}
    assert candidates[("pytorch-cpu", "fp32", 1)]["p95_ms"] == 150 and candidates[("pytorch-cpu", "fp32", 1)]["fps"] == 7
    assert candidates[("pytorch-cpu", "fp32", 8)]["p95_ms"] == 950 and candidates[("pytorch-cpu", "fp32", 8)]["fps"] == 9


def test_constraints_are_met_by_one_setup_not_by_two_batch_sizes_together():
    rows = [_row("onnxruntime-cpu", "fp32", 1, 10, 12, 13, 80),  # fast enough, not enough throughput
            _row("onnxruntime-cpu", "fp32", 8, 60, 70, 75, 130)]  # enough throughput, too slow
    selected = select(candidates=candidates_from_rows(rows), constraints={"max_p95_ms": 20, "min_fps": 100},
                      objective="p95")
    assert selected["engine"] is None  # before: p95 from batch 1 and fps from batch 8 passed it
    assert set(selected["blocking"]) == {"onnxruntime-cpu (fp32) at batch 1", "onnxruntime-cpu (fp32) at batch 8"}
    rows.append(_row("onnxruntime-cpu", "fp32", 4, 15, 18, 19, 110))
    selected = select(candidates=candidates_from_rows(rows), constraints={"max_p95_ms": 20, "min_fps": 100},
                      objective="p95")
    assert selected["batch_size"] == 4 and selected["setup"] == "onnxruntime-cpu (fp32) at batch 4"
    assert selected["reason"].endswith("(p95 18.0 ms at batch 4)")


def test_the_fastest_passing_candidate_wins_and_the_reason_gives_values_and_limits():
    selected = select(candidates=candidates_from_rows(ROWS),
                      constraints={"max_p95_ms": 50, "max_map50_95_drop": 0.01, "min_fps": None}, objective="p95")
    assert (selected["engine"], selected["precision"]) == ("openvino-cpu", "bf16")
    assert selected["reason"] == ("p95 31.4 ms ≤ 50 ms, mAP50-95 drop 0.001 ≤ 0.01; the only one passing "
                                  "(p95 31.4 ms at batch 1)")
    assert selected["batch_size"] == 1
    int8 = next(c for c in selected["candidates"] if c["candidate"] == "openvino-cpu (int8)")
    assert not int8["passed"]
    assert [c["text"] for c in int8["checks"] if not c["passed"]] == ["mAP50-95 drop 0.050 > 0.01"]


def test_the_objective_fps_ranks_by_throughput():
    selected = select(candidates=candidates_from_rows(ROWS), constraints={}, objective="fps")
    assert (selected["engine"], selected["precision"]) == ("openvino-cpu", "int8")
    assert selected["reason"] == "no constraints; highest throughput of 5 passing (fps 70.0 img/s at batch 1)"


def test_when_nothing_passes_nothing_is_selected_and_the_blocking_constraints_and_nearest_miss_are_named():
    selected = select(candidates=candidates_from_rows(ROWS), constraints={"max_p95_ms": 1, "min_fps": 10_000},
                      objective="p50")
    assert selected["engine"] is None and not selected["passed"]
    assert selected["blocking"]["onnxruntime-cpu (fp32) at batch 1"] == ["p95 70.0 ms > 1 ms",
                                                                        "throughput 15.0 img/s < 10000 img/s"]
    assert selected["nearest_miss"]["candidate"] == "openvino-cpu (int8)"
    assert "nearest miss: openvino-cpu (int8)" in selected["reason"]


def test_a_constraint_on_a_value_that_was_not_measured_blocks():
    rows = [_row("onnxruntime-cpu", "fp32", 1, 67, 70, 75, 15)]
    selected = select(candidates=candidates_from_rows(rows), constraints={"min_map50_95": 0.5}, objective="p95")
    assert selected["engine"] is None
    assert selected["blocking"]["onnxruntime-cpu (fp32) at batch 1"] == ["mAP50-95 not measured (limit 0.5)"]


def test_no_measured_engine_selects_nothing():
    selected = select(candidates=[], constraints={"max_p95_ms": 50}, objective="p95")
    assert selected["engine"] is None and selected["reason"] == "no engine was measured"


def test_the_default_accuracy_guard_is_left_out_when_no_baseline_was_measured_but_a_given_one_stays():
    from benchmarks.selection import selection_constraints
    from benchmarks.serializers import BenchmarkStartSerializer

    defaulted = BenchmarkStartSerializer(data={"model": 1, "dataset": 2, "constraints": {"max_p95_ms": 50}})
    assert defaulted.is_valid(), defaulted.errors
    params = dict(defaulted.validated_data)
    assert params["constraints"]["max_map50_95_drop"] == 0.01 and params["default_constraints"] == ["max_map50_95_drop"]
    without = {k: v for k, v in params["constraints"].items() if k != "max_map50_95_drop"}
    assert selection_constraints(params, baseline=None) == (without, ["max_map50_95_drop"])
    assert selection_constraints(params, baseline={"map50_95": 0.5}) == (params["constraints"], [])

    given = BenchmarkStartSerializer(data={"model": 1, "dataset": 2, "constraints": {"max_map50_95_drop": 0.02}})
    assert given.is_valid(), given.errors
    kept, dropped = selection_constraints(dict(given.validated_data), baseline=None)
    assert kept["max_map50_95_drop"] == 0.02 and dropped == []  # asked for: it stays (and fails as not measured)
