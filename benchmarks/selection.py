"""Engine selection from benchmark results: pure functions, no database, no I/O.

A candidate is one setup: an engine at one precision and one batch size (e.g. `openvino-cpu` int8 at batch 1), with
that row's figures only: latency, throughput and memory measured together. (Mixing rows, as an earlier version did,
let a candidate pass `max_p95_ms` at batch 1 and `min_fps` at batch 8, a setup that meets both nowhere.) Every
constraint is checked with the measured value and the limit; the objective ranks those that pass; the answer says
the chosen setup's batch size; when none passes it names what blocks each setup and the nearest miss (the smallest
total relative excess over its limits).
"""
from dataclasses import dataclass

# constraint -> (what is measured, the comparison, label, unit, decimals)
CONSTRAINTS = {
    "max_p95_ms": ("p95_ms", "max", "p95", " ms", 1),
    "max_p99_ms": ("p99_ms", "max", "p99", " ms", 1),
    "min_fps": ("fps", "min", "throughput", " img/s", 1),
    "min_map50_95": ("map50_95", "min", "mAP50-95", "", 3),
    "max_map50_95_drop": ("map_drop", "max", "mAP50-95 drop", "", 3),
    "max_memory_mb": ("memory_mb", "max", "memory", " MB", 0),
}
ACCURACY_CONSTRAINTS = ("min_map50_95", "max_map50_95_drop")
OBJECTIVES = {"p95": ("p95_ms", False, "fastest (p95)"), "p50": ("p50_ms", False, "fastest (p50)"),
              "fps": ("fps", True, "highest throughput")}


@dataclass
class Check:
    constraint: str
    value: float | None
    limit: float
    passed: bool
    text: str

    def as_dict(self) -> dict:
        return {"constraint": self.constraint, "value": self.value, "limit": self.limit, "passed": self.passed,
                "text": self.text}


def candidates_from_rows(rows: list[dict]) -> list[dict]:
    """Measured result rows (dicts with engine, precision, batch_size and the figures) -> one dict per setup."""
    candidates = []
    for row in sorted((r for r in rows if r.get("status") == "measured"),
                      key=lambda r: (r["engine"], r.get("precision") or "", r["batch_size"])):
        memory = row.get("gpu_mem_peak_mb") if row.get("device") == "cuda" else row.get("peak_rss_mb")
        candidates.append({
            "engine": row["engine"], "precision": row.get("precision") or "", "batch_size": row["batch_size"],
            "source_model": row.get("source_model"), "p50_ms": row.get("p50_ms"), "p95_ms": row.get("p95_ms"),
            "p99_ms": row.get("p99_ms"), "fps": row.get("fps"), "map50_95": row.get("map50_95"),
            "map_drop": row.get("map_drop"), "memory_mb": memory})
    return candidates


def candidate_name(candidate: dict) -> str:
    return f"{candidate['engine']} ({candidate['precision']})" if candidate.get("precision") else candidate["engine"]


def setup_name(candidate: dict) -> str:
    return f"{candidate_name(candidate)} at batch {candidate.get('batch_size', 1)}"


def _fmt(value: float, unit: str, decimals: int) -> str:
    return f"{value:.{decimals}f}{unit}"


def check(candidate: dict, constraint: str, limit: float) -> Check:
    key, kind, label, unit, decimals = CONSTRAINTS[constraint]
    value = candidate.get(key)
    if value is None:
        return Check(constraint, None, limit, False, f"{label} not measured (limit {limit:g}{unit})")
    passed = value <= limit if kind == "max" else value >= limit
    sign = ("≤" if passed else ">") if kind == "max" else ("≥" if passed else "<")
    return Check(constraint, value, limit, passed,
                 f"{label} {_fmt(value, unit, decimals)} {sign} {limit:g}{unit}")


def _excess(item: Check) -> float:
    """How far a failed check is from its limit, relative to the limit (unmeasured counts as very far)."""
    if item.value is None:
        return 1e6
    scale = abs(item.limit) or 1.0
    return abs(item.value - item.limit) / scale


def select(*, candidates: list[dict], constraints: dict, objective: str = "p95") -> dict:
    """The winner and why, or (engine None) the blocking constraints per candidate and the nearest miss."""
    # In CONSTRAINTS' order, not the request's: PostgreSQL's jsonb keeps keys in its own order (shortest first).
    active = {name: constraints[name] for name in CONSTRAINTS if constraints.get(name) is not None}
    key, descending, phrase = OBJECTIVES[objective]
    evaluated = []
    for candidate in candidates:
        checks = [check(candidate, name, limit) for name, limit in active.items()]
        evaluated.append({"candidate": candidate_name(candidate), "setup": setup_name(candidate),
                          "engine": candidate["engine"], "precision": candidate["precision"],
                          "batch_size": candidate.get("batch_size"), "source_model": candidate.get("source_model"),
                          "passed": all(c.passed for c in checks), "checks": [c.as_dict() for c in checks],
                          "objective_value": candidate.get(key), "_checks": checks})
    passing = [e for e in evaluated if e["passed"] and e["objective_value"] is not None]
    passing.sort(key=lambda e: -e["objective_value"] if descending else e["objective_value"])
    table = [{k: v for k, v in e.items() if k != "_checks"} for e in evaluated]
    if passing:
        best = passing[0]
        met = ", ".join(c.text for c in best["_checks"]) or "no constraints"
        unit = " img/s" if key == "fps" else " ms"
        rank = (f"{phrase} of {len(passing)} passing" if len(passing) > 1 else "the only one passing")
        reason = (f"{met}; {rank} ({OBJECTIVES[objective][0].split('_')[0]} {best['objective_value']:.1f}{unit} "
                  f"at batch {best['batch_size']})")
        return {"engine": best["engine"], "precision": best["precision"], "source_model": best["source_model"],
                "candidate": best["candidate"], "batch_size": best["batch_size"], "setup": best["setup"],
                "reason": reason, "objective": objective, "passed": True, "candidates": table}
    blocking = {e["setup"]: [c.text for c in e["_checks"] if not c.passed] or ["not measured"] for e in evaluated}
    nearest = None
    if evaluated:
        near = min(evaluated, key=lambda e: sum(_excess(c) for c in e["_checks"] if not c.passed))
        nearest = {"candidate": near["candidate"], "setup": near["setup"], "engine": near["engine"],
                   "precision": near["precision"], "batch_size": near["batch_size"],
                   "blocking": blocking[near["setup"]]}
    reason = ("no engine was measured" if not evaluated else
              f"none of {len(evaluated)} setups meets the constraints; nearest miss: {nearest['setup']} "
              f"({'; '.join(nearest['blocking'])})")
    return {"engine": None, "precision": None, "source_model": None, "candidate": None, "batch_size": None,
            "setup": None, "reason": reason,
            "objective": objective, "passed": False, "blocking": blocking, "nearest_miss": nearest,
            "candidates": table}


def selection_constraints(params: dict, *, baseline: dict | None) -> tuple[dict, list[str]]:
    """The constraints the selection applies, and the defaults left out: a drop in mAP needs a baseline, so without
    one a default the user never asked for (max_map50_95_drop) must not fail every candidate as "not measured"."""
    constraints = dict(params["constraints"])
    if baseline is not None:
        return constraints, []
    return constraints, [name for name in params.get("default_constraints", [])
                         if constraints.pop(name, None) is not None]
