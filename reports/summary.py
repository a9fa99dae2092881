"""The simple view's words: a headline, the collector's findings and the baseline comparison, each with a traffic
light. Generated from the numbers in the snapshot, never written by hand."""
from .collectors.common import finding
from .deltas import delta_sentence

ORDER = {"red": 0, "amber": 1, "grey": 2, "green": 3}


def summary_build(*, collected: dict, baseline: dict | None, deltas: list[dict], notes: list[str]) -> dict:
    found = list(collected.get("findings") or [])
    if baseline is not None:
        found.extend(_baseline_findings(baseline=baseline, deltas=deltas))
    for note in notes:
        found.append(finding("grey", note))
    lights = [f["light"] for f in found if f["light"] != "grey"] or ["grey"]
    status = min(lights, key=ORDER.__getitem__)
    headline = {"green": "Everything measured looks good.",
                "amber": "Usable, with points to check below.",
                "red": "Something failed or got worse: read the red lines.",
                "grey": "Not enough was measured to judge."}[status]
    return {"status": status, "headline": headline, "findings": found}


def _baseline_findings(*, baseline: dict, deltas: list[dict]) -> list[dict]:
    name = baseline.get("title") or f"{baseline['kind']} {baseline['id']}"
    if not deltas:
        return [finding("grey", f"{name} has no metric in common with this report to compare against.")]
    better = [d for d in deltas if d["verdict"] == "better"]
    worse = [d for d in deltas if d["verdict"] == "worse"]
    same = [d for d in deltas if d["verdict"] in ("same", "within noise")]
    found = []
    if better:
        found.append(finding("green", f"Better than {name}: " + "; ".join(delta_sentence(d) for d in better) + "."))
    if worse:
        found.append(finding("amber", f"Worse than {name}: " + "; ".join(delta_sentence(d) for d in worse) + "."))
    if same:
        found.append(finding("green", f"No real difference from {name}: "
                                      + "; ".join(delta_sentence(d) for d in same) + "."))
    changed = [d for d in deltas if d["verdict"] == "changed"]
    if changed:
        found.append(finding("grey", f"Changed from {name}: " + "; ".join(delta_sentence(d) for d in changed) + "."))
    return found
