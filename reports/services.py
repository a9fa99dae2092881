"""Writes for reports: queue one (a Report and its default-queue Job, in one transaction), build its snapshot, and
delete one (through its job, like every row that owns a job).

The build runs in the worker (`reports.render`): it resolves the subject and baseline as the report's owner would
see them, asks each kind's collector for its tables, metrics, plots and findings, adds the deltas, the
environment and the simple view's words, validates the whole against reports/snapshot_schema.py, and stores it.
"""
import functools
import importlib.metadata
import importlib.util
import os
import re
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from accounts.visibility import check_can_modify
from core.errors import NotFound
from core.hardware import LIBRARIES, host_info
from jobs.deletion import job_subject_delete
from jobs.models import JobKind
from jobs.runner import PermanentJobError
from jobs.services import job_subject_start

from .collectors import SubjectUnavailable, collector_for
from .deltas import deltas_compute, metrics_without_samples
from .models import Report
from .snapshot_schema import SCHEMA_VERSION, snapshot_errors
from .summary import summary_build

TASK_NAME = "reports.render"  # routed to the default queue by CELERY_TASK_ROUTES["reports.*"]
TIME_LIMIT_SECONDS = 300


def report_create(*, owner, subject_kind: str, subject_id: int, baseline_kind: str = "",
                  baseline_id: int | None = None, title: str = "", shared: bool = False) -> Report:
    """Queue the rendering of a report; the caller has checked that `owner` may see the subject and baseline."""
    params = {"subject": subject_kind, "id": subject_id,
              "baseline": {"subject": baseline_kind, "id": baseline_id} if baseline_kind else None}
    return job_subject_start(Report, owner=owner, kind=JobKind.REPORT, task_name=TASK_NAME, queue="default",
                             job_params=params, soft_time_limit=TIME_LIMIT_SECONDS,
                             time_limit=TIME_LIMIT_SECONDS + 30, subject_kind=subject_kind, subject_id=subject_id,
                             baseline_kind=baseline_kind or "", baseline_id=baseline_id, title=title, shared=shared)


def report_build(*, report: Report) -> dict:
    """Collect everything about the subject (and baseline) now and store it as the report's snapshot."""
    started = time.perf_counter()
    collected = _collect(kind=report.subject_kind, object_id=report.subject_id, user=report.owner, what="subject")
    baseline, notes = None, []
    baseline_kind, baseline_id, chosen = report.baseline_kind, report.baseline_id, "requested"
    if not baseline_kind:
        collector = collector_for(report.subject_kind)
        automatic = getattr(collector, "default_baseline", None)
        picked = automatic(user=report.owner, obj=collected["_object"]) if automatic else None
        if picked:
            (baseline_kind, baseline_id), chosen = picked, "automatic"
    if baseline_kind:
        try:
            other = _collect(kind=baseline_kind, object_id=baseline_id, user=report.owner, what="baseline")
        except PermanentJobError as exc:
            if chosen == "requested":
                raise
            notes.append(f"The automatic baseline could not be read ({exc}).")
        else:
            baseline = {"kind": baseline_kind, "id": baseline_id, "title": other["title"], "chosen": chosen,
                        "subject": other["subject"], "metrics": other["metrics"]}
    # noise: a bootstrap CI of the difference of medians from raw timings, mAP's resolution from the validation
    # set's size (reports/deltas.py); the raw samples are dropped from the stored snapshot below
    deltas = deltas_compute(subject_metrics=collected["metrics"], baseline_metrics=baseline["metrics"]) \
        if baseline else []
    if baseline and not any(d["within_noise"] is not None for d in deltas):
        notes.append("Neither side measured its own spread (repeated timings), so no difference can be called "
                     "noise: read small differences with care.")
    elif baseline:
        notes.append("Noise: timings by a bootstrap 95% confidence interval of the difference (of medians for p50) "
                     "from both sides' raw timings; mAP by the difference its validation set can resolve. Each "
                     "delta names its method.")
    if baseline:
        baseline["metrics"] = metrics_without_samples(baseline["metrics"])
    snapshot = {
        "schema_version": SCHEMA_VERSION,
        "report": {"id": report.pk, "title": report.title or collected["title"], "owner": report.owner.username,
                   "created_at": report.created_at.isoformat(), "generated_at": timezone.now().isoformat(),
                   "job": report.job_id},
        "subject": collected["subject"],
        "subject_title": collected["title"],
        "baseline": baseline,
        "metadata": {"lineage": collected["lineage"], "people": collected["people"], "jobs": collected["jobs"],
                     "environment": _environment(collected["measured_on"])},
        "tables": collected["tables"],
        "metrics": metrics_without_samples(collected["metrics"]),
        "deltas": deltas,
        "plots": collected["plots"],
        "summary": summary_build(collected=collected, baseline=baseline, deltas=deltas, notes=notes),
        "notes": notes,
    }
    errors = snapshot_errors(snapshot)
    if errors:  # a collector bug: fail loudly rather than store a report the views cannot show
        raise PermanentJobError(f"the report does not match its schema: {errors[0]}")
    fields = {"snapshot": snapshot, "rendered_at": timezone.now(),
              "render_seconds": round(time.perf_counter() - started, 3)}
    if chosen == "automatic" and baseline:
        fields.update(baseline_kind=baseline_kind, baseline_id=baseline_id)
    Report.objects.filter(pk=report.pk).update(**fields)
    return snapshot


def report_update(*, user, report: Report, title: str | None = None, shared: bool | None = None) -> Report:
    """Rename or (un)share a report: its owner or an admin (else Forbidden). The snapshot itself never changes."""
    check_can_modify(report, user, action="change")
    fields = {name: value for name, value in (("title", title), ("shared", shared)) if value is not None}
    for name, value in fields.items():
        setattr(report, name, value)
    if fields:
        report.save(update_fields=[*fields, "updated_at"])
    return report


def report_delete(*, user, report: Report) -> None:
    """Delete a report and its job. The owner or an admin; 409 while it is queued or rendering."""
    job_subject_delete(report, user=user)


def _collect(*, kind: str, object_id: int, user, what: str) -> dict:
    try:
        collector = collector_for(kind)
        obj = collector.resolve(user=user, object_id=object_id)
    except SubjectUnavailable as exc:
        raise PermanentJobError(str(exc)) from exc
    except NotFound as exc:
        raise PermanentJobError(f"the {what} ({kind} {object_id}) no longer exists or is not visible to "
                                f"{user.username}") from exc
    collected = collector.collect(obj=obj, user=user)
    collected["_object"] = obj
    return collected


def _environment(measured_on: dict) -> dict:
    """Where the numbers were measured; the renderer's own facts only stand in, labelled, when they were not kept."""
    renderer = {"host": host_info(), "libraries": _library_versions()}
    measured = dict(measured_on)
    if not measured.get("host"):
        measured["host_source"] = "not recorded by the measuring job; see `renderer` for the report worker's host"
    if not measured.get("libraries"):
        measured["libraries"] = None
    return {"platform_version": platform_version(), "measured_by": measured, "renderer": renderer}


# Distributions that provide a module of core.hardware.LIBRARIES under another name.
_DISTRIBUTIONS = {"onnxruntime": ("onnxruntime", "onnxruntime-gpu"), "tensorrt": ("tensorrt", "tensorrt-cu12")}


@functools.cache
def _library_versions() -> dict:
    """The report worker's installed versions of the libraries core.hardware lists, read from package metadata:
    importing torch, ultralytics and openvino only to read `__version__` would cost a control worker seconds and
    hundreds of MB. The measuring worker's own `library_versions()` is what a benchmark keeps."""
    found = {}
    for module in LIBRARIES:
        found[module] = _version_file(module)  # keeps local build tags such as torch's "+cu130"
        for distribution in _DISTRIBUTIONS.get(module, (module,)):
            if found[module] is not None:
                break
            try:
                found[module] = importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                continue
    return found


def _version_file(module: str) -> str | None:
    """`__version__` as written in the package's version.py, read as text (find_spec does not import it)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for name in ("version.py", "_version.py"):
            try:
                text = (Path(location) / name).read_text(errors="replace")
            except OSError:
                continue
            match = re.search(r"^__version__\s*(?::\s*str\s*)?=\s*['\"]([^'\"]+)['\"]", text, re.M)
            if match:
                return match.group(1)
    return None


def platform_version() -> str:
    """PLATFORM_VERSION if set (containers have no .git), else the checkout's commit, else "unknown"."""
    if os.environ.get("PLATFORM_VERSION"):
        return os.environ["PLATFORM_VERSION"]
    try:
        found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True,
                               timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else "unknown"
