"""Deltas between two sets of headline metrics: absolute and percent change, which way is better, and whether the
difference lies within the measurements' own noise.

How noise is judged (the report says which, per delta, in `noise_kind`):
- timings (a metric that carries its raw `samples` and the `statistic` its value is): a percentile bootstrap
  confidence interval (95 %, 2000 resamples, seeded) of the difference of that statistic (the median for p50)
  between the two sides, each side resampled from its own raw timings. "within noise" when the interval holds 0;
  `noise` is its half-width. The spread of single iterations (IQR, std) is not the uncertainty of a median: with
  1000 iterations the median moves far less than the IQR, so a real 5 % slow-down used to pass as noise.
- accuracy (a metric with a `resolution`): mAP has no repeated measurement, but a validation set of n instances
  cannot resolve differences much smaller than the binomial standard error of a proportion measured on n
  instances, so the resolution is max(1/n, 1.96 * sqrt(p (1 - p) / n)); "within noise" when |change| <= it.
- neither: `within_noise` is null and the report says no difference can be called noise.
"""
import numpy as np

from .collectors.common import number

BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
MIN_SAMPLES = 5  # fewer raw timings than this on a side: no interval is drawn
CHUNK = 100  # resamples drawn at once: bounded memory (100 x 5000 stored timings x 8 bytes = 4 MB a side)
STATISTICS = {
    "median": lambda values: np.median(values, axis=-1),
    "p95": lambda values: np.percentile(values, 95, axis=-1),
    "throughput": lambda values: values.shape[-1] / values.sum(axis=-1),  # samples are seconds per image
}


def bootstrap_difference_ci(subject, baseline, *, statistic: str = "median", resamples: int = BOOTSTRAP_RESAMPLES,
                            confidence: float = CONFIDENCE, seed: int = 0) -> tuple[float, float]:
    """The percentile bootstrap interval of statistic(subject) - statistic(baseline)."""
    rng = np.random.default_rng(seed)
    stat = STATISTICS[statistic]
    a, b = np.asarray(subject, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    chunks = [CHUNK] * (resamples // CHUNK) + ([resamples % CHUNK] if resamples % CHUNK else [])
    draw = lambda x, n: x[rng.integers(0, x.size, (n, x.size))]  # noqa: E731  (n resamples of x, with replacement)
    diffs = np.concatenate([stat(draw(a, n)) - stat(draw(b, n)) for n in chunks])
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(low), float(high)


def map_resolution(*, value: float, instances: int) -> float | None:
    """The smallest mAP difference a validation set of `instances` objects can resolve (module docstring)."""
    if not instances:
        return None
    p = min(max(float(value), 0.0), 1.0)
    return max(1.0 / instances, 1.96 * (p * (1 - p) / instances) ** 0.5)


def _noise(subject: dict, baseline: dict, value: float, reference: float) -> tuple:
    """(noise, within_noise, how it was judged, the interval or None) for one metric's two sides."""
    a, b = subject.get("samples"), baseline.get("samples")
    statistic = subject.get("statistic") or baseline.get("statistic")
    if a is not None and b is not None and len(a) >= MIN_SAMPLES and len(b) >= MIN_SAMPLES and statistic:
        low, high = bootstrap_difference_ci(a, b, statistic=statistic)
        scale = subject.get("samples_scale") or 1.0  # e.g. the samples are seconds and the value images/s
        low, high = low * scale, high * scale
        kind = (f"bootstrap {CONFIDENCE:.0%} CI of the difference of {statistic}s "
                f"({len(a)} vs {len(b)} timings, {BOOTSTRAP_RESAMPLES} resamples)")
        return (high - low) / 2, low <= 0.0 <= high, kind, [low, high]
    resolutions = [(number(m.get("resolution")), m.get("resolution_kind") or "") for m in (subject, baseline)]
    resolutions = [(r, k) for r, k in resolutions if r is not None]
    if resolutions:
        noise, kind = max(resolutions)
        return noise, abs(value - reference) <= noise, kind, None
    return None, None, "", None


def delta(*, key: str, subject: dict, baseline: dict) -> dict | None:
    """One metric's change from `baseline` to `subject` (both collector metrics); None when either is missing."""
    value, reference = number(subject.get("value")), number(baseline.get("value"))
    if value is None or reference is None:
        return None
    change = value - reference
    percent = (change / abs(reference) * 100.0) if reference != 0 else None
    better = subject.get("better") or baseline.get("better")
    noise, within_noise, noise_kind, interval = _noise(subject, baseline, value, reference)
    if change == 0:
        verdict = "same"
    elif within_noise:
        verdict = "within noise"
    elif better is None:
        verdict = "changed"
    else:
        verdict = "better" if (change > 0) == (better == "higher") else "worse"
    return {"metric": key, "label": subject.get("label") or key, "unit": subject.get("unit") or "",
            "format": subject.get("format") or ".3g", "subject": value, "baseline": reference,
            "abs": change, "pct": percent, "better": better, "noise": noise, "noise_kind": noise_kind,
            "noise_interval": interval, "within_noise": within_noise, "verdict": verdict}


def deltas_compute(*, subject_metrics: dict, baseline_metrics: dict) -> list[dict]:
    """Every metric both sides have, in the subject's order."""
    found = []
    for key, subject in subject_metrics.items():
        if key in baseline_metrics:
            row = delta(key=key, subject=subject, baseline=baseline_metrics[key])
            if row is not None:
                found.append(row)
    return found


def metrics_without_samples(metrics: dict) -> dict:
    """The metrics as a snapshot stores them: raw samples are for judging noise, not for the report."""
    return {key: {k: v for k, v in m.items() if k not in ("samples", "samples_scale")} for key, m in metrics.items()}


def delta_sentence(row: dict) -> str:
    """`mAP50-95 0.661 against 0.663 (-0.3%, within noise)`: the numbers first, then what they mean."""
    fmt = row["format"]
    unit = f" {row['unit']}" if row["unit"] and row["unit"] != "bytes" else ""
    pct = f"{row['pct']:+.1f}%" if row["pct"] is not None else f"{row['abs']:+{fmt}}{unit}"
    return (f"{row['label']} {row['subject']:{fmt}}{unit} against {row['baseline']:{fmt}}{unit} "
            f"({pct}, {row['verdict']})")
