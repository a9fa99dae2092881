"""Step: the selection (selection.py: pure) over the run's rows, with the constraints that can apply, recorded on
the run with what the choice rests on: the baseline, the jobs seen beside it, the validation and calibration images."""
from .. import selection
from ..models import BenchmarkResult


def engine_select(state) -> None:
    run, params = state.run, state.params
    state.rows = [_row_dict(row) for row in run.result_rows.all()]
    constraints, dropped = selection.selection_constraints(params, baseline=state.baseline)
    state.selected = selection.select(candidates=selection.candidates_from_rows(state.rows), constraints=constraints,
                                      objective=params["objective"])
    run.results = {**run.results, "baseline": state.baseline, "concurrent_jobs": list(state.concurrent.values()),
                   "validation_images": len(state.samples or []),
                   "validation_instances": sum(len(labels) for _, labels in state.samples or []),
                   "int8_calibration": _calibration_record(state.versions.get("onnx-int8")),
                   "defaults_dropped": [f"{name}: no FP32 baseline (pytorch or onnxruntime) was measured to take "
                                        "the drop from" for name in dropped]}
    run.selected = state.selected
    run.save(update_fields=["results", "selected", "updated_at"])


def _calibration_record(int8) -> dict | None:
    """Which images the INT8 version measured here was calibrated on (never the ones its accuracy is scored on)."""
    metadata = getattr(int8, "metadata", None) or {}
    return {"model": int8.pk, **{k: metadata.get(k) for k in ("calibration_dataset", "calibration_split",
                                                             "calibration_files", "calibration_excluded_as_measured")}
            } if metadata.get("quantization") == "int8" else None


def _row_dict(row: BenchmarkResult) -> dict:
    return {"engine": row.engine, "precision": row.precision, "batch_size": row.batch_size, "status": row.status,
            "source_model": row.source_model_id, "p50_ms": row.p50_ms, "p95_ms": row.p95_ms, "p99_ms": row.p99_ms,
            "fps": row.fps, "map50_95": row.map50_95, "map_drop": row.map_drop, "peak_rss_mb": row.peak_rss_mb,
            "gpu_mem_peak_mb": row.gpu_mem_peak_mb, "device": (row.details or {}).get("device")}
