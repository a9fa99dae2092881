"""Writes for benchmarks: start a run (a BenchmarkRun and its gpu-queue Job), apply a selection, set serving by hand."""
from django.db import transaction
from rest_framework.exceptions import PermissionDenied, ValidationError

from accounts.visibility import can_modify, check_can_modify
from config.deletion import job_subject_delete
from inference.engines import ENGINES
from jobs.models import JobKind
from hosts.facts import this_host
from hosts.routing import host_queue, target_host
from jobs.services import job_enqueue
from registry.models import Dataset, ModelSource, ModelVersion

from .models import BenchmarkRun

TASK_NAME = "benchmarks.run"  # routed to the gpu queue by CELERY_TASK_ROUTES["benchmarks.*"]


def benchmark_run_start(*, owner, model: ModelVersion, dataset: Dataset | None, params: dict) -> BenchmarkRun:
    """Create the run and queue its job; the task is sent once both rows are committed."""
    if params["apply"] and not can_modify(model, owner):
        raise PermissionDenied("Only the model's owner or an admin may apply a selection to its serving engine; "
                               'benchmark it with "apply": false.')
    queue = "gpu"
    if params.get("target"):  # a 400 naming the target when no live host matches it
        params = {**params, "routed_to": target_host(target=params["target"]).name}
        queue = host_queue(params["routed_to"])
    with transaction.atomic():
        job = job_enqueue(kind=JobKind.BENCHMARK, owner=owner, task_name=TASK_NAME, queue=queue,
                          params={"model": model.pk, "dataset": dataset.pk if dataset else None, **params})
        run = BenchmarkRun.objects.create(owner=owner, job=job, model=model, dataset=dataset, params=params)
    return run


def benchmark_run_placed(*, job_id: int) -> None:
    """Record where the run runs (on the gpu worker, before measuring): its host and that host's hardware class."""
    here = this_host()
    BenchmarkRun.objects.filter(job_id=job_id).update(host=here["name"], hardware_class=here["hardware_class"])


def _serving_version_default(*, model: ModelVersion, engine: str) -> ModelVersion | None:
    """The version `engine` would serve for `model`: the model itself, else its newest conversion in a format the
    engine loads (FP32, not a quantized one: those are chosen explicitly)."""
    formats = ENGINES[engine].formats
    if model.format in formats:
        return model
    # In Python: exclude() on a JSON key also drops the rows that lack the key (NULL) on some databases.
    return next((version for version in ModelVersion.objects.filter(parent=model, format__in=formats)
                 .order_by("-created_at", "-pk") if not (version.metadata or {}).get("quantization")), None)


def _lineage_contains(*, model: ModelVersion, version: ModelVersion) -> bool:
    """`version` is `model` or was converted from it, step by step (a conversion of a conversion: the INT8 ONNX of
    a .pt). A model fine-tuned from it is a child too, but with other weights: it never serves this model."""
    node, depth = version, 0
    while node is not None and depth < 8:
        if node.pk == model.pk:
            return True
        if node.source != ModelSource.CONVERSION:
            return False
        node, depth = node.parent, depth + 1
    return False


def model_serving_set(*, user, model: ModelVersion, engine: str, version: ModelVersion | None = None,
                      benchmark: BenchmarkRun | None = None) -> ModelVersion:
    """Serve `model` with `engine` (on `version`, a version in its lineage); engine "" clears the selection."""
    check_can_modify(model, user, action="change the serving engine of")
    if not engine:
        model.selected_engine, model.serving_version, model.serving_benchmark = "", None, None
        model.save(update_fields=["selected_engine", "serving_version", "serving_benchmark", "updated_at"])
        return model
    if engine not in ENGINES:
        raise ValidationError({"engine": [f"unknown engine {engine!r}; known: {', '.join(sorted(ENGINES))}"]})
    if version is None:
        version = _serving_version_default(model=model, engine=engine)
        if version is None:
            raise ValidationError({"engine": [
                f"{engine} loads {', '.join(ENGINES[engine].formats)} models; model {model.pk} is {model.format} and "
                f"has no such conversion (convert it first: POST /api/models/{model.pk}/convert/)"]})
    elif not _lineage_contains(model=model, version=version):
        raise ValidationError({"version": [f"model {version.pk} is not model {model.pk} or a conversion of it"]})
    if version.format not in ENGINES[engine].formats:
        raise ValidationError({"engine": [f"{engine} cannot load a {version.format} model (it loads "
                                          f"{', '.join(ENGINES[engine].formats)})"]})
    model.selected_engine = engine
    model.serving_version = None if version.pk == model.pk else version
    model.serving_benchmark = benchmark
    model.save(update_fields=["selected_engine", "serving_version", "serving_benchmark", "updated_at"])
    return model


def benchmark_selection_apply(*, run: BenchmarkRun) -> None:
    """Make the run's winner the model's serving engine (inside the job, on behalf of the run's owner)."""
    selected = run.selected or {}
    if not selected.get("engine"):
        return
    version = ModelVersion.objects.filter(pk=selected.get("source_model")).first() or run.model
    model_serving_set(user=run.owner, model=run.model, engine=selected["engine"], version=version, benchmark=run)
    BenchmarkRun.objects.filter(pk=run.pk).update(applied=True)
    run.applied = True


def benchmark_run_delete(*, user, run: BenchmarkRun) -> None:
    """Delete a finished benchmark run, its job and result rows (the conversions it made stay, and a model's serving
    selection keeps its engine, without the link to this run). The owner or an admin; 409 while it is queued or
    running. Without this, a model or dataset once benchmarked could never be deleted (their PROTECT keys)."""
    job_subject_delete(run, user=user, cancel_path=f"/api/jobs/{run.job_id}/cancel/")
