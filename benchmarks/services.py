"""Writes for benchmarks: start a run (a BenchmarkRun and its gpu-queue Job), record where it ran, apply a selection
(through serving/, the one home of serving), delete a run."""

from accounts.visibility import can_modify
from core.errors import Forbidden
from hosts.facts import this_host
from hosts.routing import target_queue
from jobs.deletion import job_subject_delete
from jobs.models import JobKind
from jobs.services import job_subject_start
from registry.models import Dataset, ModelVersion
from serving.services import serving_set

from .models import BenchmarkRun

TASK_NAME = "benchmarks.run"  # routed to the gpu queue by CELERY_TASK_ROUTES["benchmarks.*"]


def benchmark_run_start(*, owner, model: ModelVersion, dataset: Dataset | None, params: dict) -> BenchmarkRun:
    """Create the run and queue its job; the task is sent once both rows are committed."""
    if params["apply"] and not can_modify(model, owner):
        raise Forbidden("Only the model's owner or an admin may apply a selection to its serving engine; "
                        'benchmark it with "apply": false.')
    queue, host = target_queue(target=params.get("target"))  # a 400 naming the target when no live host matches it
    if host:
        params = {**params, "routed_to": host}
    return job_subject_start(BenchmarkRun, owner=owner, kind=JobKind.BENCHMARK, task_name=TASK_NAME, queue=queue,
                             job_params={"model": model.pk, "dataset": dataset.pk if dataset else None, **params},
                             model=model, dataset=dataset, params=params)


def benchmark_run_placed(*, job_id: int) -> None:
    """Record where the run runs (on the gpu worker, before measuring): its host and that host's hardware class."""
    here = this_host()
    BenchmarkRun.objects.filter(job_id=job_id).update(host=here["name"], hardware_class=here["hardware_class"])


def benchmark_selection_apply(*, run: BenchmarkRun) -> None:
    """Make the run's winner the model's serving engine on the hardware class the run measured on (inside the job, on
    behalf of the run's owner): a selection made on a CPU host with AMX is not forced on a GPU host's pool."""
    selected = run.selected or {}
    if not selected.get("engine"):
        return
    version = ModelVersion.objects.filter(pk=selected.get("source_model")).first() or run.model
    serving_set(user=run.owner, model=run.model, engine=selected["engine"], version=version,
                hardware_class=run.hardware_class, benchmark=run)
    BenchmarkRun.objects.filter(pk=run.pk).update(applied=True)
    run.applied = True


def benchmark_run_delete(*, user, run: BenchmarkRun) -> None:
    """Delete a finished benchmark run, its job and result rows (the conversions it made stay, and a model's serving
    selection keeps its engine, without the link to this run). The owner or an admin; 409 while it is queued or
    running. Without this, a model or dataset once benchmarked could never be deleted (their PROTECT keys)."""
    job_subject_delete(run, user=user)
