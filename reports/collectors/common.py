"""Building blocks every collector shares: tables, headline metrics, plot specs, job and lineage facts.

A collector turns one subject into plain JSON: `tables` (named lists of rows), `metrics` (headline numbers with
the direction that is better and, where the run measured it, their own spread), `plots` (data for a chart, drawn
later by reports/plots.py) and `findings` (plain sentences with a traffic light for the simple view).
"""
import math

from accounts.visibility import visible_to
from jobs.models import Job
from registry.model_versions.selectors import model_list_visible

HIGHER, LOWER = "higher", "lower"


def number(value):
    """A JSON-safe float (NaN and infinities become None; ints stay ints)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def table(*, title: str, columns: list[str], rows: list[dict], note: str = "") -> dict:
    """A raw table: every row has exactly `columns` (missing cells are None)."""
    return {"title": title, "columns": list(columns), "rows": [{c: row.get(c) for c in columns} for row in rows],
            "note": note}


def metric(*, label: str, value, better: str | None, unit: str = "", spread=None, spread_kind: str = "",
           fmt: str = ".3g") -> dict:
    """A headline number. `spread` is the measurement's own noise (std or IQR of repeated timings), if any."""
    return {"label": label, "value": number(value), "better": better, "unit": unit, "spread": number(spread),
            "spread_kind": spread_kind if spread is not None else "", "format": fmt}


def plot(*, plot_id: str, kind: str, title: str, x_label: str = "", y_label: str = "", series: list[dict],
         log_y: bool = False) -> dict:
    """A chart as data. kind: line (series x/y), scatter (x/y, optional labels), bar (categories/values),
    box (series of stats: whislo, q1, med, q3, whishi)."""
    return {"id": plot_id, "kind": kind, "title": title, "x_label": x_label, "y_label": y_label,
            "series": series, "log_y": log_y}


def finding(light: str, text: str) -> dict:
    """One sentence of the simple view with its traffic light: green, amber, red or grey (unknown/unavailable)."""
    assert light in ("green", "amber", "red", "grey"), light
    return {"light": light, "text": text}


def sees(obj, user) -> bool:
    """Whether the report's owner may see `obj` (a dataset, model, job or search: the one visibility rule). A report
    never copies what its owner may not see, such as the private dataset or job behind another user's shared model:
    only the id of such an object is kept, marked `"visible": False`."""
    return visible_to(type(obj).objects.filter(pk=obj.pk), user).exists()


def hidden(obj) -> dict:
    return {"id": obj.pk, "visible": False}


def jobs_facts(jobs, *, user) -> list[dict]:
    """The facts of the jobs the report's owner may see (another user's job behind a shared model is left out)."""
    return [_job_facts(job) for job in jobs if job is not None and sees(job, user)]


def _job_facts(job: Job) -> dict:
    return {"id": job.pk, "kind": job.kind, "state": job.state, "error": job.error or "", "worker": job.worker or "",
            "queue": job.queue, "attempts": job.attempts, "created_at": iso(job.created_at),
            "started_at": iso(job.started_at), "finished_at": iso(job.finished_at),
            "duration_seconds": (round((job.finished_at - job.started_at).total_seconds(), 3)
                                 if job.started_at and job.finished_at else None)}


def iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def dataset_facts(dataset, *, user) -> dict | None:
    if dataset is None:
        return None
    if not sees(dataset, user):
        return hidden(dataset)
    return {"id": dataset.pk, "name": dataset.name, "version": dataset.version, "sha256": dataset.sha256,
            "num_images": dataset.num_images, "num_instances": dataset.num_instances,
            "class_names": list(dataset.class_names or [])}


def model_facts(model, *, user) -> dict | None:
    if model is None:
        return None
    if not sees(model, user):
        return hidden(model)
    return {"id": model.pk, "name": model.name, "version": model.version, "format": model.format,
            "source": model.source, "sha256": model.sha256, "input_size": model.input_size,
            "parameters": model.parameters, "file_size": model.file_size, "owner": model.owner.username,
            "created_at": iso(model.created_at), "job": model.job_id,
            "dataset": dataset_facts(model.dataset, user=user), "hyperparameters": dict(model.hyperparameters or {}),
            "metrics": dict(model.metrics or {})}


def model_chain(model, *, user, limit: int = 10) -> list[dict]:
    """The model and its ancestors (model -> parent -> ...), each with its dataset and hyperparameters, up to the
    first one `user` may not see (a shared model can descend from its owner's private one)."""
    visible = model_list_visible(user=user)
    chain, seen = [], set()
    while model is not None and model.pk not in seen and len(chain) < limit:
        if not visible.filter(pk=model.pk).exists():
            break
        seen.add(model.pk)
        chain.append(model_facts(model, user=user))
        model = model.parent
    return chain


def state_finding(*, what: str, job: Job | None) -> dict | None:
    """The honest first sentence when the subject's job did not succeed."""
    if job is None or job.state == "SUCCEEDED":
        return None
    if job.state == "FAILED":
        return finding("red", f"The {what} failed: {job.error or 'no reason was recorded'}.")
    if job.state == "CANCELLED":
        return finding("amber", f"The {what} was cancelled before it finished; the numbers below are partial.")
    return finding("grey", f"The {what} is still {job.state.lower()}; the numbers below are what it had so far.")
