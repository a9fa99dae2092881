"""Writes for searches: start one, cancel one, delete an ended one, and the small writes the workers make for an
individual (an epoch's report to the pruner, a latency measurement). The generation-by-generation control is in
controller.py.
"""
import logging
import uuid

import optuna
from celery import current_app
from django.db import transaction
from django.utils import timezone

from accounts.visibility import check_can_modify
from core.errors import Conflict, Invalid
from jobs import lifecycle
from jobs.deletion import job_subject_delete
from jobs.models import JobKind, JobState
from jobs.services import job_subject_start
from registry.model_versions.selectors import model_file_local
from registry.models import Dataset, ModelVersion
from training.models import TrainingRun

from . import measures, study
from .models import INDIVIDUAL_ACTIVE_STATES, Individual, IndividualState, Search

log = logging.getLogger(__name__)

STEP_TASK_NAME = "searches.step"  # default queue: a controller never holds a gpu slot
SWEEP_TASK_NAME = "searches.sweep"
STEP_TASK_NAME = "searches.step"  # default queue (searches/tasks.py)
LATENCY_TASK_NAME = "searches.measure_latency"  # gpu queue (settings: CELERY_TASK_ROUTES)


def search_start(*, owner, dataset: Dataset, model: ModelVersion | None, preset: str | None, params: dict) -> Search:
    """Create the search and its job; the first controller step is sent once both rows are committed."""
    if model is not None and model.format != "pytorch":
        raise Invalid(errors={"model": [f"model {model.pk} is {model.format}; a search trains from a PyTorch (.pt) "
                                        "model"]})
    job_params = {**params, "dataset": dataset.pk, "model": model.pk if model else None, "preset": preset or ""}
    with transaction.atomic():
        search = job_subject_start(Search, owner=owner, kind=JobKind.SEARCH, task_name=STEP_TASK_NAME,
                                   queue="default", job_params=job_params, dataset=dataset, model=model,
                                   preset=preset or "", params=params)
        # The id alone could name a study twice (a flushed database reuses ids); the suffix keeps names unique.
        search.study_name = f"search-{search.pk}-{uuid.uuid4().hex[:8]}"
        search.save(update_fields=["study_name", "updated_at"])
    return search


def search_step_later(*, search_job_id: int) -> None:
    """Send a controller step once the current transaction commits (now, outside one)."""
    transaction.on_commit(lambda: current_app.send_task(STEP_TASK_NAME, args=[search_job_id]))


def individuals_cancel(*, search: Search) -> int:
    """Cancel every queued or running individual's training run; mark them cancelled. Returns how many."""
    cancelled = 0
    for individual in search.individuals.filter(state__in=INDIVIDUAL_ACTIVE_STATES).select_related(
            "training_run__job"):
        run = individual.training_run
        if run is not None and run.job.state in (JobState.QUEUED, JobState.RUNNING):
            lifecycle.job_request_cancel(job=run.job)
        cancelled += Individual.objects.filter(pk=individual.pk, state__in=INDIVIDUAL_ACTIVE_STATES).update(
            state=IndividualState.CANCELLED, error="cancelled with the search", updated_at=timezone.now())
    return cancelled


def search_cancel(*, user, search: Search) -> Search:
    """Stop the controller (the job is cancelled, so no further step starts anything) and every individual. The
    owner or an admin (403 for others); a search that has ended is a 409, as for any job."""
    check_can_modify(search, user, action="cancel")
    if search.job.is_terminal:
        raise Conflict(f"The search already ended ({search.job.state}); nothing to cancel.")
    job = lifecycle.job_request_cancel(job=search.job)  # a queued search is cancelled here and never starts
    individuals_cancel(search=search)
    if job.state == JobState.RUNNING:
        lifecycle.job_mark_cancelled(job_id=job.pk, message="cancelled by the user")
    search.refresh_from_db()
    return search


def search_delete(*, user, search: Search) -> None:
    """Delete an ended search, its job, individuals and Optuna study; the individuals' training runs and the model
    versions they registered stay (they are deleted on their own). The owner or an admin; 409 while the search is
    queued or running. Without this, a dataset or model a search used could never be deleted (its PROTECT key)."""
    name = search.study_name  # the search and its individuals go with its job (CASCADE)
    job_subject_delete(search, user=user, cancel_path=f"/api/searches/{search.pk}/cancel/",
                       after_commit=lambda: study.study_delete(name=name))


def individual_report_epoch(*, individual: Individual, epoch: int, fitness: float) -> bool:
    """Report an epoch's fitness to the individual's trial and ask the pruner; prunes (cancels the run) if it says
    so. Returns whether it pruned. Single-objective studies only: Optuna's pruners need one objective."""
    search = individual.search
    opened = study.study_open(name=search.study_name, params=search.params)
    trial = optuna.trial.Trial(opened, individual.trial_id)
    trial.report(fitness, epoch)
    if epoch >= search.params["epochs"] or not trial.should_prune():
        return False
    Individual.objects.filter(pk=individual.pk).update(pruned=True, pruned_at_epoch=epoch, updated_at=timezone.now())
    lifecycle.job_request_cancel(job=individual.training_run.job)
    log.info("search %s: pruned individual %s at epoch %s (fitness %.4f)", search.pk, individual.number, epoch,
             fitness)
    return True


def individual_measure_latency(*, individual: Individual) -> float:
    """Measure the individual's deployed latency (ONNX Runtime CPU p50) and record it; a failure records the worst
    latency and the error. The controller moves the individual on at its next step."""
    run = TrainingRun.objects.select_related("result_model").get(pk=individual.training_run_id)
    imgsz = run.params.get("imgsz") or individual.search.params["imgsz"]
    error = ""
    try:
        if run.result_model is None:
            raise RuntimeError("the training run registered no model")
        latency = measures.onnxruntime_cpu_p50_ms(weights=model_file_local(run.result_model).held(), imgsz=imgsz)
    except Exception as exc:
        log.exception("latency of individual %s failed", individual.pk)
        latency, error = measures.WORST_LATENCY_MS, f"latency measurement failed: {type(exc).__name__}: {exc}"[:2000]
    Individual.objects.filter(pk=individual.pk, state=IndividualState.MEASURING).update(
        latency_ms=latency, error=error, updated_at=timezone.now())
    return latency
