"""The model collector: the version and its lineage, its sibling versions, its conversions with parity, and its
benchmarks (once the benchmarks app has runs)."""
from accounts.visibility import visible_to
from registry.model_versions.selectors import model_get_visible, model_list_visible, model_serving_summary
from registry.models import Conversion, ModelVersion

from .common import (HIGHER, LOWER, finding, iso, jobs_facts, metric, model_chain, model_facts, number, table)
from .benchmark import model_benchmarks
from .origin import search_of

KIND = "model"
LABEL = "model"
VERSION_COLUMNS = ["id", "version", "format", "source", "parameters", "file_size", "sha256", "map50", "map50_95",
                   "created_at"]
CONVERSION_COLUMNS = ["id", "target", "state", "parity_passed", "max_abs_diff", "tolerance", "result_model",
                      "error", "created_at"]


def resolve(*, user, object_id: int) -> ModelVersion:
    return model_get_visible(user=user, model_id=object_id)


def title_of(model: ModelVersion) -> str:
    return f"Model {model.name} v{model.version} ({model.format})"


def default_baseline(*, user, obj: ModelVersion) -> tuple[str, int] | None:
    """The previous version of the same name, else the parent it was trained or converted from."""
    previous = (model_list_visible(user=user).filter(owner=obj.owner, name=obj.name, version__lt=obj.version)
                .order_by("-version").first())
    if previous is not None:
        return KIND, previous.pk
    if obj.parent_id and model_list_visible(user=user).filter(pk=obj.parent_id).exists():
        return KIND, obj.parent_id
    return None


def _conversions_visible(*, model: ModelVersion, user):
    """The conversions of `model` that `user` may see (as GET /api/conversions/{id}/ rules: requester or admin)."""
    return visible_to(Conversion.objects.filter(source=model).select_related("job"), user, owner_field="job__owner")


def collect(*, obj: ModelVersion, user) -> dict:
    model = obj
    versions = [{"id": v.pk, "version": v.version, "format": v.format, "source": v.source, "parameters": v.parameters,
                 "file_size": v.file_size, "sha256": v.sha256, "map50": number((v.metrics or {}).get("map50")),
                 "map50_95": number((v.metrics or {}).get("map50_95")), "created_at": iso(v.created_at)}
                for v in model_list_visible(user=user).filter(owner=model.owner, name=model.name).order_by("version")]
    conversions = []
    for c in _conversions_visible(model=model, user=user).order_by("created_at"):
        parity = (c.job.result or {}).get("parity") or {}
        # a detection head's headline is its class scores' error, against their absolute tolerance (registry/
        # conversion/parity.py); older results and other outputs keep the overall figure
        conversions.append({"id": c.pk, "target": c.target, "state": c.job.state, "parity_passed": parity.get("passed"),
                            "max_abs_diff": number(parity.get("max_score_diff", parity.get("max_abs_diff"))),
                            "tolerance": number(parity.get("tolerance")), "result_model": c.result_id,
                            "error": c.job.error or "", "created_at": iso(c.created_at)})
    tables = {"versions": table(title=f"Versions of {model.name}", columns=VERSION_COLUMNS, rows=versions),
              "conversions": table(title="Conversions from this version, with parity against the source",
                                   columns=CONVERSION_COLUMNS, rows=conversions)}
    benchmark_rows, plots, benchmark_findings = model_benchmarks(model=model, user=user)
    if benchmark_rows is not None:
        tables["benchmarks"] = benchmark_rows
    found_metrics = dict(model.metrics or {})
    metrics = {
        "map50_95": metric(label="mAP50-95", value=found_metrics.get("map50_95"), better=HIGHER),
        "map50": metric(label="mAP50", value=found_metrics.get("map50"), better=HIGHER),
        "precision": metric(label="precision", value=found_metrics.get("precision"), better=HIGHER),
        "recall": metric(label="recall", value=found_metrics.get("recall"), better=HIGHER),
        "parameters": metric(label="parameters", value=model.parameters, better=LOWER, fmt=",.0f"),
        "file_size": metric(label="file size", value=model.file_size, better=LOWER, unit="bytes", fmt=",.0f"),
    }
    jobs = jobs_facts([model.job] + [c.job for c in _conversions_visible(model=model, user=user)], user=user)
    facts = model_facts(model, user=user)
    own_job = next((job for job in jobs if job["id"] == model.job_id), None)
    return {
        "title": title_of(model),
        "subject": {"kind": KIND, "id": model.pk, **{k: v for k, v in facts.items() if k != "id"},
                    "task": model.task, "class_names": list(model.class_names or []),
                    "selected_engine": model_serving_summary(model)[0]["engine"] or "", "shared": model.shared},
        "lineage": {"models": model_chain(model, user=user), "dataset": facts["dataset"],
                    "hyperparameters": dict(model.hyperparameters or {}),
                    "search": search_of(user=user, job_id=model.job_id)},
        "people": {"owner": model.owner.username, "created_at": iso(model.created_at)},
        "jobs": jobs,
        "measured_on": {"worker": own_job["worker"] if own_job else None, "device": None, "host": None},
        "tables": tables,
        "metrics": metrics,
        "plots": plots,
        "findings": _findings(model, conversions, dataset=facts["dataset"]) + benchmark_findings,
    }


def _findings(model, conversions, *, dataset: dict | None) -> list[dict]:
    """`dataset` is the model's dataset as the report's owner may see it (only an id when private to another)."""
    trained_on = (f", trained on {dataset['name']} v{dataset['version']}" if dataset and "name" in dataset
                  else ", trained on a dataset you cannot see" if dataset else "")
    found = [finding("green", f"{model.name} v{model.version} is a {model.format} model"
                              + (f" of {model.parameters:,} parameters" if model.parameters else "")
                              + (f", input {model.input_size} px" if model.input_size else "")
                              + trained_on
                              + ".")]
    map_value = (model.metrics or {}).get("map50_95")
    if map_value is None:
        found.append(finding("grey", "No accuracy was measured for this version (it was not trained here)."))
    else:
        light = "green" if map_value >= 0.5 else "amber" if map_value > 0 else "red"
        found.append(finding(light, f"Its validation mAP50-95 is {map_value:.3f}."))
    for c in conversions:
        if c["state"] == "SUCCEEDED" and c["parity_passed"]:
            found.append(finding("green", f"The {c['target']} conversion (#{c['id']}) gives the same outputs as the "
                                          f"original (max difference {c['max_abs_diff']:.2g}, allowed "
                                          f"{c['tolerance']:.2g})."))
        elif c["state"] == "FAILED":
            found.append(finding("red", f"The {c['target']} conversion (#{c['id']}) failed: {c['error'] or 'no reason'}."))
        elif c["state"] != "SUCCEEDED":
            found.append(finding("grey", f"The {c['target']} conversion (#{c['id']}) is {c['state'].lower()}."))
    if not conversions:
        found.append(finding("grey", "It has not been converted to another format yet."))
    return found
