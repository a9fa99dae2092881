"""The benchmark collector: one row per engine x precision x batch size with every statistic measured, the spread
of the timed iterations (std and IQR, from the raw timings), deltas of every engine against the PyTorch FP32
baseline of the same run, the selection and why, and the host and library versions of the worker that measured."""
import numpy as np

from benchmarks.models import BenchmarkRun, ResultStatus, timings_unpack
from benchmarks.selectors import benchmark_run_get, benchmark_run_list

from ..deltas import delta, map_resolution
from .common import (HIGHER, LOWER, dataset_facts, finding, iso, jobs_facts, metric, model_chain, number, plot,
                     state_finding, table)
from .origin import search_of

KIND = "benchmark"
LABEL = "benchmark"
ACCURACY_DROP_AMBER = 0.01  # mAP50-95 lost against the baseline engine that earns the selection an amber light
BASELINE_ORDER = (("pytorch-cpu", "fp32"), ("pytorch-cuda", "fp32"), ("onnxruntime-cpu", "fp32"))
STAT_COLUMNS = ["iterations", "mean_ms", "std_ms", "min_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms",
                "mean_ms_per_image", "p50_ms_per_image", "p95_ms_per_image", "p99_ms_per_image", "fps", "load_s",
                "cold_ms", "peak_rss_mb", "gpu_mem_peak_mb", "gpu_util_mean", "gpu_util_max", "cpu_util", "map50",
                "map50_95", "map_drop"]
RESULT_COLUMNS = ["candidate", "engine", "precision", "batch_size", "status", "reason", "device", *STAT_COLUMNS,
                  "iqr_ms_per_image", "source_model"]
STATISTIC_OF = {"p50_ms_per_image": "median", "p95_ms_per_image": "p95", "fps": "throughput"}
DELTA_METRICS = (("p50_ms_per_image", "p50 per image", LOWER, "ms"), ("p95_ms_per_image", "p95 per image", LOWER, "ms"),
                 ("fps", "throughput", HIGHER, "img/s"), ("map50_95", "mAP50-95", HIGHER, ""))


def resolve(*, user, object_id: int) -> BenchmarkRun:
    return benchmark_run_get(user=user, run_id=object_id)


def title_of(run: BenchmarkRun) -> str:
    return f"Benchmark #{run.pk} of {run.model.name} v{run.model.version}"


def result_rows(run: BenchmarkRun) -> list[dict]:
    rows = []
    for r in run.result_rows.order_by("id"):
        timings = timings_unpack(r.timings) / max(1, r.batch_size)
        q1, median, q3 = (np.percentile(timings, [25, 50, 75]) if timings.size else (None, None, None))
        rows.append({"candidate": r.candidate, "engine": r.engine, "precision": r.precision, "batch_size": r.batch_size,
                     "status": r.status, "reason": r.reason, "device": (r.details or {}).get("device"),
                     **{c: number(getattr(r, c)) for c in STAT_COLUMNS},
                     "iqr_ms_per_image": number(q3 - q1) if timings.size else None,
                     "source_model": r.source_model_id, "_timings": timings,
                     "_box": ({"whislo": float(np.percentile(timings, 5)), "q1": float(q1), "med": float(median),
                               "q3": float(q3), "whishi": float(np.percentile(timings, 95))} if timings.size else None)})
    return rows


def _first_per_candidate(measured: list[dict]) -> dict:
    """Each candidate's row at its smallest batch size (a served prediction is usually one image)."""
    found = {}
    for row in sorted(measured, key=lambda r: r["batch_size"]):
        found.setdefault(row["candidate"], row)
    return found


def _row_metric(row: dict, key: str, label: str, better: str, unit: str, instances: int | None = None) -> dict:
    """A headline number with what judges its noise (reports/deltas.py): the raw per-image timings and the
    statistic the value is, or mAP's resolution from the validation set's size."""
    found = metric(label=label, value=row.get(key), better=better, unit=unit, fmt=".3f" if key == "map50_95" else ".1f")
    timings = row.get("_timings")
    if key in STATISTIC_OF and timings is not None and timings.size:
        found.update(samples=timings.tolist(), statistic=STATISTIC_OF[key],
                     samples_scale=1000.0 if key == "fps" else 1.0)
    elif key == "map50_95" and row.get(key) is not None and instances:
        found.update(resolution=map_resolution(value=row[key], instances=instances),
                     resolution_kind=f"resolution of a validation set of {instances} instances")
    return found


def collect(*, obj: BenchmarkRun, user) -> dict:
    run = obj
    rows = result_rows(run)
    measured = [r for r in rows if r["status"] == ResultStatus.MEASURED]
    firsts = _first_per_candidate(measured)
    baseline_row = next((firsts[c] for e, p in BASELINE_ORDER for c, r in firsts.items()
                         if r["engine"] == e and r["precision"] == p), None)
    selected = run.selected or {}
    chosen = next((r for r in measured if r["candidate"] == selected.get("candidate")  # the setup chosen, its batch
                   and r["batch_size"] == selected.get("batch_size")), None)
    chosen = chosen or firsts.get(selected.get("candidate") or "") or (
        min(firsts.values(), key=lambda r: r["p95_ms_per_image"] or float("inf")) if firsts else None)
    engine_deltas = []
    instances = (run.results or {}).get("validation_instances")
    if baseline_row is not None:
        for candidate, row in firsts.items():
            for key, label, better, unit in DELTA_METRICS:
                found = delta(key=key, subject=_row_metric(row, key, label, better, unit, instances),
                              baseline=_row_metric(baseline_row, key, label, better, unit, instances))
                if found:
                    engine_deltas.append({"candidate": candidate, "baseline_value": found["baseline"], **{
                        k: found[k] for k in ("metric", "subject", "abs", "pct", "better", "noise", "noise_kind",
                                              "within_noise", "verdict")}})
    metrics = {}
    if chosen is not None:
        for key, label, better, unit in DELTA_METRICS:
            metrics[key] = _row_metric(chosen, key, label, better, unit, instances)
        metrics["memory_mb"] = metric(label="peak memory", value=chosen.get("gpu_mem_peak_mb") if chosen.get("device") ==
                                      "cuda" else chosen.get("peak_rss_mb"), better=LOWER, unit="MB", fmt=".0f")
    results = run.results or {}
    candidates_table = [{"candidate": c.get("candidate"), "passed": c.get("passed"),
                         "objective_value": number(c.get("objective_value")),
                         "checks": "; ".join(x.get("text", "") for x in c.get("checks") or [])}
                        for c in selected.get("candidates") or []]
    tables = {
        "results": table(title="Results per engine x precision x batch size", columns=RESULT_COLUMNS,
                         rows=[{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                         note="Latencies in ms; *_per_image divides by the batch size; iqr_ms_per_image is the "
                              "interquartile range of the timed iterations."),
        "engine_deltas": table(title=(f"Every engine against {baseline_row['candidate']} (smallest batch size)"
                                      if baseline_row else "Engine deltas (no PyTorch/ONNX FP32 baseline measured)"),
                               columns=["candidate", "metric", "subject", "baseline_value", "abs", "pct", "better",
                                        "noise", "noise_kind", "within_noise", "verdict"], rows=engine_deltas),
        "selection": table(title=f"Selection ({selected.get('objective', '?')}): "
                                 f"{selected.get('reason') or 'not made'}",
                           columns=["candidate", "passed", "objective_value", "checks"], rows=candidates_table),
    }
    return {
        "title": title_of(run),
        "subject": {"kind": KIND, "id": run.pk, "model": run.model_id, "params": dict(run.params or {}),
                    "selected": {k: selected.get(k) for k in ("engine", "precision", "candidate", "reason", "passed",
                                                              "objective")},
                    "applied": run.applied, "state": run.job.state, "error": run.job.error or "",
                    "baseline_engine": baseline_row["candidate"] if baseline_row else None},
        "lineage": {"models": model_chain(run.model, user=user), "dataset": dataset_facts(run.dataset, user=user),
                    "hyperparameters": dict(run.model.hyperparameters or {}),
                    "search": search_of(user=user, job_id=run.model.job_id)},
        "people": {"owner": run.owner.username, "created_at": iso(run.created_at)},
        "jobs": jobs_facts([run.job], user=user),
        "measured_on": {"worker": results.get("worker") or run.job.worker or None,
                        "device": ", ".join(sorted({r["device"] for r in measured if r.get("device")})) or None,
                        "host": results.get("host"), "libraries": results.get("libraries"),
                        "host_name": run.host or None, "hardware_class": run.hardware_class or None},
        "tables": tables,
        "metrics": metrics,
        "plots": _plots(rows, measured, firsts),
        "findings": _findings(run, rows, firsts, baseline_row, chosen, selected),
    }


def _plots(rows, measured, firsts) -> list[dict]:
    plots = []
    boxes = [{"name": c, "stats": r["_box"]} for c, r in firsts.items() if r["_box"]]
    if boxes:
        plots.append(plot(plot_id="latency-distribution", kind="box", title="Latency per image (p5-p95 whiskers)",
                          x_label="ms per image", series=boxes))
    if measured:
        series = []
        for candidate in firsts:
            points = sorted((r["batch_size"], r["fps"]) for r in measured if r["candidate"] == candidate and r["fps"])
            series.append({"name": candidate, "x": [p[0] for p in points], "y": [p[1] for p in points]})
        plots.append(plot(plot_id="throughput-per-batch", kind="line", title="Throughput per batch size",
                          x_label="batch size", y_label="images / s", series=series))
    accurate = [(c, r) for c, r in firsts.items() if r.get("map50_95") is not None and r.get("p95_ms_per_image")]
    if accurate:
        plots.append(plot(plot_id="accuracy-vs-latency", kind="scatter", title="Accuracy against latency",
                          x_label="p95 ms per image", y_label="mAP50-95",
                          series=[{"name": "engines", "x": [r["p95_ms_per_image"] for _, r in accurate],
                                   "y": [r["map50_95"] for _, r in accurate], "labels": [c for c, _ in accurate]}]))
    return plots


def _findings(run, rows, firsts, baseline_row, chosen, selected) -> list[dict]:
    found = [f for f in [state_finding(what="benchmark", job=run.job)] if f]
    constraints = {k: v for k, v in ((run.params or {}).get("constraints") or {}).items() if v is not None}
    if selected.get("engine") and chosen is not None:
        text, light = f"Serve this model with {chosen['candidate']}", "green"
        if baseline_row is not None and baseline_row is not chosen and chosen["p95_ms_per_image"]:
            speedup = baseline_row["p95_ms_per_image"] / chosen["p95_ms_per_image"]
            text += (f": {speedup:.1f}× {'faster' if speedup >= 1 else 'slower'} than {baseline_row['candidate']} "
                     f"(p95 {chosen['p95_ms_per_image']:.1f} ms against {baseline_row['p95_ms_per_image']:.1f} ms "
                     "per image)")
            if chosen.get("map50_95") is not None and baseline_row.get("map50_95") is not None:
                drop = baseline_row["map50_95"] - chosen["map50_95"]
                word = "same accuracy" if abs(drop) < 0.005 else ("less accurate" if drop > 0 else "more accurate")
                light = "amber" if drop >= ACCURACY_DROP_AMBER else light
                text += (f", {word} (mAP50-95 {chosen['map50_95']:.3f} against {baseline_row['map50_95']:.3f})")
        else:
            text += f" (p95 {chosen['p95_ms_per_image']:.1f} ms per image, {chosen['fps'] or 0:.1f} images/s)"
        limit = constraints.get("max_p95_ms")
        if limit is not None:
            text += f". Meets your {limit:g} ms limit" if chosen["p95_ms"] <= limit else f". Misses your {limit:g} ms limit"
        found.append(finding(light, text + "."))
    elif firsts:
        found.append(finding("red", f"No engine meets your constraints: {selected.get('reason') or 'none passed'}."))
    else:
        found.append(finding("red", "No engine could be measured."))
    fastest = min(firsts.values(), key=lambda r: r["p95_ms_per_image"] or float("inf")) if firsts else None
    if fastest is not None:
        found.append(finding("green", f"Fastest engine measured: {fastest['candidate']} (p95 "
                                      f"{fastest['p95_ms_per_image']:.1f} ms per image at batch "
                                      f"{fastest['batch_size']})."))
    for status, light, word in ((ResultStatus.UNAVAILABLE, "grey", "unavailable"), (ResultStatus.FAILED, "red", "failed")):
        missing = [r for r in rows if r["status"] == status]
        if missing:
            found.append(finding(light, f"{len(missing)} engine run(s) {word}: " + "; ".join(
                f"{r['candidate']} b{r['batch_size']} ({r['reason'] or 'no reason given'})" for r in missing[:6])
                + ("…" if len(missing) > 6 else "") + "."))
    return found


def model_benchmarks(*, model, user) -> tuple[dict, list, list]:
    """For the model collector: one row per benchmark of `model` that `user` may see, with what it selected."""
    rows = []
    for run in benchmark_run_list(user=user).filter(model=model).order_by("created_at"):
        selected = run.selected or {}
        rows.append({"id": run.pk, "state": run.job.state, "created_at": iso(run.created_at),
                     "selected": selected.get("candidate"), "reason": selected.get("reason") or run.job.error or "",
                     "applied": run.applied})
    found = []
    if rows and rows[-1]["selected"]:
        found.append(finding("green", f"The latest benchmark (#{rows[-1]['id']}) selected {rows[-1]['selected']}: "
                                      f"{rows[-1]['reason']}."))
    elif rows:
        found.append(finding("amber", f"The latest benchmark (#{rows[-1]['id']}) selected no engine "
                                      f"({rows[-1]['state'].lower()}): {rows[-1]['reason'] or 'no reason'}."))
    else:
        found.append(finding("grey", "It has not been benchmarked yet."))
    return (table(title="Benchmarks of this version", columns=["id", "state", "created_at", "selected", "reason",
                                                                "applied"], rows=rows), [], found)
