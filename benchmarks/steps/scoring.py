"""Step: each measured engine's mAP on the validation images (one engine at a time), and each row's drop from the
FP32 baseline (PyTorch on the CPU, else on CUDA, else ONNX Runtime on the CPU). An engine that fails to score keeps
its timings, with the error in its rows' details."""
from celery.exceptions import SoftTimeLimitExceeded

from ..accuracy import engine_map
from ..models import BenchmarkRun, ResultStatus

BASELINE_ORDER = (("pytorch-cpu", "fp32"), ("pytorch-cuda", "fp32"), ("onnxruntime-cpu", "fp32"))


def engines_score(state) -> None:
    if state.samples:
        for index, item in enumerate(state.loaded):
            state.advance(index, len(state.loaded))
            _score(state, item)
    state.baseline = baseline_of(state.run)
    if state.baseline is not None:
        for row in state.run.result_rows.filter(map50_95__isnull=False):
            row.map_drop = round(state.baseline["map50_95"] - row.map50_95, 5)
            row.save(update_fields=["map_drop"])


def _score(state, item) -> None:
    imgsz = state.params["imgsz"]
    measured = state.run.result_rows.filter(engine=item.variant.engine, precision=item.precision,
                                            status=ResultStatus.MEASURED)
    if not measured.exists():  # its timed loop failed at every batch size: nothing to score
        return
    state.progress(f"scoring mAP of {item.variant.name} ({item.precision}) on {len(state.samples)} images")
    state.ctx.checkpoint()
    try:
        item.accuracy = engine_map(engine=item.engine, samples=state.samples, imgsz=imgsz)
        val = _as_val_reports(item.engine, state.samples, imgsz, square=item.accuracy)
    except SoftTimeLimitExceeded:  # the job's time is up: not this engine's failure
        raise
    except Exception as exc:  # one engine failing to score (out of memory, a provider error) is its row's
        for row in measured:
            row.details = {**row.details, "accuracy_error": f"{type(exc).__name__}: {exc}"}
            row.save(update_fields=["details"])
        return
    measured.update(map50=item.accuracy.get("map50"), map50_95=item.accuracy.get("map50_95"))
    for row in measured:  # both figures, each saying how it was letterboxed
        row.details = {**row.details, "accuracy_protocol": item.accuracy["protocol"], "accuracy_val": val}
        row.save(update_fields=["details"])


def _as_val_reports(engine, samples, imgsz: int, *, square: dict) -> dict:
    """The mAP ultralytics' `val` reports for this engine (the number a training run shows): its rectangular
    canvases for an engine that takes any input size; a fixed-size model is run square by val too, so it is the
    square figure. The row's map50/map50_95 stay the square ones, the same pipeline for every engine."""
    if engine.fixed_imgsz is not None or engine.input_shape[2:] != (None, None):
        return {"map50": square["map50"], "map50_95": square["map50_95"],
                "protocol": "ultralytics val runs a fixed-size model square: the same as map50_95"}
    found = engine_map(engine=engine, samples=samples, imgsz=imgsz, protocol="val")
    return {key: found[key] for key in ("map50", "map50_95", "protocol")}


def baseline_of(run: BenchmarkRun) -> dict | None:
    rows = run.result_rows.filter(status=ResultStatus.MEASURED, map50_95__isnull=False)
    for engine, precision in BASELINE_ORDER:
        row = rows.filter(engine=engine, precision=precision).order_by("batch_size").first()
        if row is not None:
            return {"engine": engine, "precision": precision, "map50": row.map50, "map50_95": row.map50_95}
    return None
