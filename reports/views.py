"""The two HTML views of a report, for browsers: technical (every table and plot) and simple (sentences, lights).

They are Django views, not API views: a signed-in session (the admin login works) or a signed link (`?sig=`)
opens them. Another user's report is a 404 like everywhere else; a tampered or expired link is a 403.
"""
import json

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render

from core.errors import NotFound

from .links import LinkRefused, link_check
from .selectors import report_get, report_get_by_link

LOGIN_URL = "/admin/login/"


def report_technical(request, report_id: int):
    return _page(request, report_id, "reports/technical.html", _technical_context)


def report_simple(request, report_id: int):
    return _page(request, report_id, "reports/simple.html", _simple_context)


def _simple_context(snapshot: dict) -> dict:
    environment = snapshot["metadata"]["environment"]
    host = dict(host_rows(environment))
    where = f"{host['CPU']} ({host['CPU cores']} cores)"
    if not host["GPUs"].startswith("none"):
        where += f", GPU {host['GPUs']}"
    worker = environment["measured_by"].get("worker") or "an unknown worker"
    source = "" if environment["measured_by"].get("host") else " (the report worker's machine: the job kept none)"
    return {"measured_on": f"Measured by {worker} on {where}{source}; platform version "
                           f"{environment['platform_version'][:12]}."}


def _page(request, report_id: int, template: str, context_for):
    token = request.GET.get("sig")
    if token is not None:
        try:
            link_check(token=token, report_id=report_id)
        except LinkRefused as exc:
            return _private(render(request, "reports/refused.html", {"reason": str(exc)}, status=403))
        report = _found(report_get_by_link, report_id=report_id)
    elif not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=LOGIN_URL)
    else:
        report = _found(report_get, user=request.user, report_id=report_id)
    suffix = f"?sig={token}" if token else ""
    context = {"report": report, "snapshot": report.snapshot, "suffix": suffix}
    if not report.is_ready:
        return _private(render(request, "reports/pending.html", context))
    context.update(context_for(report.snapshot))
    return _private(render(request, template, context))


def _found(selector, **kwargs):
    """The selector's report; its NotFound as Django's 404 page (these are HTML pages, outside the API's handler)."""
    try:
        return selector(**kwargs)
    except NotFound as exc:
        raise Http404(str(exc)) from None


def _private(response):
    # The page may carry a signed link in its URL: keep it out of caches and out of Referer headers.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def host_rows(environment: dict) -> list[tuple[str, str]]:
    """The measuring host's facts (else the renderer's) as label/value pairs, GPUs through NVML included."""
    host = environment["measured_by"].get("host") or environment["renderer"].get("host") or {}
    cuda = host.get("cuda") or {}
    gpus = "; ".join(f"{d.get('name')} ({d.get('memory_total_mb')} MB)" for d in cuda.get("devices") or [])
    rows = [("host", host.get("host")), ("platform", host.get("platform")), ("python", host.get("python")),
            ("CPU", host.get("cpu_model")), ("CPU cores", host.get("cpu_count")),
            ("memory (MB)", host.get("memory_total_mb")),
            ("GPUs", gpus or f"none ({cuda.get('error') or 'NVML found no device'})"),
            ("NVIDIA driver", cuda.get("driver"))]
    return [(label, "–" if value in (None, "") else str(value)) for label, value in rows]


def _technical_context(snapshot: dict) -> dict:
    # Imported on first use: both pull in matplotlib, which web start-up need not pay for.
    from .exports import cell_text  # deferred: matplotlib
    from .plots import plot_svg  # deferred: matplotlib

    tables = [{"name": name, "title": data["title"], "note": data.get("note") or "", "columns": data["columns"],
               "rows": [[cell_text(row.get(c), width=48) for c in data["columns"]] for row in data["rows"]]}
              for name, data in snapshot["tables"].items()]
    deltas = [{**d, "subject_text": cell_text(d["subject"]), "baseline_text": cell_text(d["baseline"]),
               "abs_text": f"{d['abs']:+.4g}", "pct_text": f"{d['pct']:+.1f}%" if d["pct"] is not None else "–",
               "noise_text": cell_text(d["noise"])} for d in snapshot["deltas"]]
    metrics = [{"key": key, **m, "value_text": cell_text(m["value"]), "spread_text": cell_text(m.get("spread"))}
               for key, m in snapshot["metrics"].items()]
    metadata = snapshot["metadata"]
    environment = metadata["environment"]
    return {
        "tables": tables,
        "deltas": deltas,
        "metrics": metrics,
        "plots": [{"id": spec["id"], "title": spec["title"], "svg": plot_svg(spec)} for spec in snapshot["plots"]],
        "jobs": metadata["jobs"],
        "environment": environment,
        "libraries": sorted((environment["measured_by"].get("libraries") or environment["renderer"]["libraries"]
                             or {}).items()),
        "libraries_source": "measuring worker" if environment["measured_by"].get("libraries") else "report renderer",
        "host_rows": host_rows(environment),
        "host_source": "measuring worker" if environment["measured_by"].get("host") else "report renderer",
        "lineage_json": json.dumps(metadata["lineage"], indent=2, sort_keys=True),
        "environment_json": json.dumps(environment, indent=2, sort_keys=True),
        "subject_json": json.dumps(snapshot["subject"], indent=2, sort_keys=True),
    }
