"""Deltas between two sets of headline metrics: absolute and percent change, which way is better, and whether the
difference lies within the measurements' own noise (the spread of the timed iterations, when there is one)."""
from .collectors.common import number


def delta(*, key: str, subject: dict, baseline: dict) -> dict | None:
    """One metric's change from `baseline` to `subject` (both collector metrics); None when either is missing."""
    value, reference = number(subject.get("value")), number(baseline.get("value"))
    if value is None or reference is None:
        return None
    change = value - reference
    percent = (change / abs(reference) * 100.0) if reference != 0 else None
    better = subject.get("better") or baseline.get("better")
    spreads = [s for s in (number(subject.get("spread")), number(baseline.get("spread"))) if s is not None]
    noise = max(spreads) if spreads else None
    within_noise = (abs(change) <= noise) if noise is not None else None
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
            "abs": change, "pct": percent, "better": better, "noise": noise,
            "noise_kind": subject.get("spread_kind") or baseline.get("spread_kind") or "",
            "within_noise": within_noise, "verdict": verdict}


def deltas_compute(*, subject_metrics: dict, baseline_metrics: dict) -> list[dict]:
    """Every metric both sides have, in the subject's order."""
    found = []
    for key, subject in subject_metrics.items():
        if key in baseline_metrics:
            row = delta(key=key, subject=subject, baseline=baseline_metrics[key])
            if row is not None:
                found.append(row)
    return found


def delta_sentence(row: dict) -> str:
    """`mAP50-95 0.661 against 0.663 (-0.3%, within noise)`: the numbers first, then what they mean."""
    fmt = row["format"]
    unit = f" {row['unit']}" if row["unit"] and row["unit"] != "bytes" else ""
    pct = f"{row['pct']:+.1f}%" if row["pct"] is not None else f"{row['abs']:+{fmt}}{unit}"
    return (f"{row['label']} {row['subject']:{fmt}}{unit} against {row['baseline']:{fmt}}{unit} "
            f"({pct}, {row['verdict']})")
