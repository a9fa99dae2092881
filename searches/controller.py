"""The search controller: one idempotent step, run on the default queue, that moves a search as far as it can.

A step collects the individuals whose training runs ended (fitness, pruning, failure), tells their results to the
Optuna study, asks the study for the generation's missing individuals (adopting trials a crash left without a
row, carrying the previous generation's elites), starts each as an ordinary training run, advances the generation
once every individual of it has been told, and at the end points the search at its best model.

It is triggered by the end of an individual's job (jobs.signals.job_finished), by a finished latency
measurement, and by a periodic sweep (settings: SEARCH_SWEEP_SECONDS), so a killed control worker resumes where the
database says the search is. A Redis lock keeps two steps of one search from running at once, held for as long as
the step runs (searches/step_lock.py). The search's job
holds no worker: its heartbeat stays empty, so the reaper (which fails jobs whose worker died) leaves it alone.
"""
import logging

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from optuna.trial import TrialState

from core.errors import QuotaExceeded
from jobs.quota import jobs_not_counted
from jobs import lifecycle
from jobs.models import Job, JobState
from training.models import TrainingEpoch
from training.services import training_run_start

from . import measures, study
from .models import INDIVIDUAL_ACTIVE_STATES, Individual, IndividualState, Search
from .results import search_finish
from .services import LATENCY_TASK_NAME, individuals_cancel
from .space import baseline_genome, baseline_mutants, genome_run_arguments, space_distributions
from .step_lock import step_locked

log = logging.getLogger(__name__)

MAX_PASSES = 5  # a step repeats while something moved, so an event that arrived meanwhile is not left waiting


def search_step(*, job_id: int) -> str:
    with step_locked(job_id) as locked:
        if not locked:
            return "busy"  # another step of this search runs; the next event or sweep comes back
        outcome = "idle"
        for _ in range(MAX_PASSES):
            outcome = _step_once(job_id)
            if outcome != "moved":
                break
        return outcome


def _step_once(job_id: int) -> str:
    search = Search.objects.select_related("job", "dataset", "model", "owner").filter(job_id=job_id).first()
    if search is None:
        return "gone"
    job = search.job
    if job.is_terminal:  # a step that raced a cancel may have started a run after the cancel swept: stop it too
        individuals_cancel(search=search)
        return "finished"
    if job.state == JobState.QUEUED:
        study.study_open(name=search.study_name, params=search.params, create=True)
        lifecycle.transition(job_id=job.pk, to_state=JobState.RUNNING, from_states=[JobState.QUEUED],
                             message="search started", started_at=timezone.now(), heartbeat_at=None, worker="")
    if Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
        individuals_cancel(search=search)
        lifecycle.job_mark_cancelled(job_id=job.pk, message="cancelled")
        return "finished"
    moved = _collect(search)
    moved = _tell(search) or moved
    moved = _fill_generation(search) or moved
    members = search.individuals.filter(generation=search.generation)
    if members.count() >= search.population and not members.filter(told=False).exists():
        if search.generation < search.generations:
            Search.objects.filter(pk=search.pk).update(generation=search.generation + 1, updated_at=timezone.now())
            moved = True
        else:
            _progress(search)
            search_finish(search=search)
            return "finished"
    _progress(search)
    return "moved" if moved else "idle"


def _collect(search: Search) -> bool:
    """Bring individuals up to date with their runs' jobs and latency measurements."""
    moved = False
    for individual in search.individuals.filter(state__in=INDIVIDUAL_ACTIVE_STATES).select_related(
            "training_run__job"):
        run = individual.training_run
        fields: dict = {}
        if individual.state == IndividualState.TRAINING:
            if run is None:
                fields = {"state": IndividualState.FAILED, "fitness": measures.WORST_FITNESS,
                          "error": "its training run was deleted"}
            elif run.job.is_terminal:
                fields = _after_training(search, individual, run)
        elif individual.latency_ms is not None:
            fields = {"state": IndividualState.SUCCEEDED}
        elif (individual.latency_requested_at is None or (timezone.now() - individual.latency_requested_at)
              .total_seconds() > settings.SEARCH_LATENCY_RESEND_SECONDS):
            fields = _latency_lost(search, individual, run)
        if fields:
            moved = Individual.objects.filter(pk=individual.pk, state=individual.state).update(
                updated_at=timezone.now(), **fields) > 0 or moved
    return moved


def _latency_lost(search: Search, individual: Individual, run) -> dict:
    """The measurement was lost (with a killed worker, say): ask again, at most SEARCH_LATENCY_RESENDS times, counted
    by the time since training ended (each request waits SEARCH_LATENCY_RESEND_SECONDS), then fail the individual."""
    ended = run.job.finished_at if run is not None else None
    waited = (timezone.now() - ended).total_seconds() if ended else 0.0
    if waited > settings.SEARCH_LATENCY_RESEND_SECONDS * (settings.SEARCH_LATENCY_RESENDS + 1):
        return {"state": IndividualState.FAILED, "latency_ms": measures.WORST_LATENCY_MS,
                "error": f"its latency measurement was lost {settings.SEARCH_LATENCY_RESENDS + 1} times "
                         f"(SEARCH_LATENCY_RESENDS={settings.SEARCH_LATENCY_RESENDS})"}
    _measure_later(individual.pk)
    return {"latency_requested_at": timezone.now()}


def _after_training(search: Search, individual: Individual, run) -> dict:
    fitness = measures.best_epoch_fitness(TrainingEpoch.objects.filter(run=run))
    if run.job.state == JobState.SUCCEEDED:
        if search.multi_objective:
            _measure_later(individual.pk)
            return {"state": IndividualState.MEASURING, "fitness": fitness, "latency_requested_at": timezone.now()}
        return {"state": IndividualState.SUCCEEDED, "fitness": fitness}
    if run.job.state == JobState.CANCELLED and Individual.objects.filter(pk=individual.pk, pruned=True).exists():
        return {"state": IndividualState.PRUNED, "fitness": fitness if fitness is not None else measures.WORST_FITNESS,
                "latency_ms": measures.WORST_LATENCY_MS if search.multi_objective else None}
    error = run.job.error or f"its training run was {run.job.state.lower()}"
    return {"state": IndividualState.FAILED, "fitness": measures.WORST_FITNESS, "error": error[:2000],
            "latency_ms": measures.WORST_LATENCY_MS if search.multi_objective else None}


def _measure_later(individual_id: int) -> None:
    transaction.on_commit(lambda: current_app.send_task(LATENCY_TASK_NAME, args=[individual_id]))


def _values(search: Search, individual: Individual) -> list[float]:
    values = [individual.fitness if individual.fitness is not None else measures.WORST_FITNESS]
    if search.multi_objective:
        values.append(individual.latency_ms if individual.latency_ms is not None else measures.WORST_LATENCY_MS)
    return values


def _tell(search: Search) -> bool:
    """Give every finished, untold individual's result to the study. Pruned and failed ones are told COMPLETE with
    what they reached (or the worst values): NSGA-II counts only complete trials in a generation's population."""
    pending = list(search.individuals.filter(told=False).exclude(state__in=INDIVIDUAL_ACTIVE_STATES))
    if not pending:
        return False
    opened = study.study_open(name=search.study_name, params=search.params)
    for individual in pending:
        opened.tell(individual.number, _values(search, individual), skip_if_finished=True)
        Individual.objects.filter(pk=individual.pk).update(told=True, updated_at=timezone.now())
    return True


def _fill_generation(search: Search) -> bool:
    """Ask the study for the current generation's missing individuals and start them."""
    members = search.individuals.filter(generation=search.generation)
    missing = search.population - members.count()
    if missing <= 0:
        return False
    distributions = space_distributions(search.params["space"])
    opened = study.study_open(name=search.study_name, params=search.params)
    known = set(search.individuals.values_list("trial_id", flat=True))
    adopted = 0
    for trial in opened.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if trial._trial_id in known:
            continue
        # Asked by a step that died before writing its row: adopt it if its genome is whole, else drop it (a FAIL
        # does not count in NSGA-II's population) and ask again below.
        if missing > 0 and set(trial.params) == set(distributions):
            if not _start(search, trial._trial_id, trial.number, trial.params):
                return adopted > 0  # the job quota is full: nothing more starts in this step
            adopted += 1
            missing -= 1
        else:
            opened.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
    if search.generation > 1 and not members.exists():
        missing -= _carry_elites(search, opened, distributions, limit=missing)
    elif search.params.get("seed_baseline", True) and not opened.get_trials(deepcopy=False):
        # The first generation is ultralytics' default recipe and mutants of it (space.baseline_genome and
        # baseline_mutants); the enqueued genomes are asked first below.
        space = search.params["space"]
        baseline = baseline_genome(space, imgsz=search.params["imgsz"], preset=search.preset)
        opened.enqueue_trial(baseline, user_attrs={"baseline": True})
        for mutant in baseline_mutants(space, baseline, count=missing - 1, seed=search.params["seed"]):
            opened.enqueue_trial(mutant, user_attrs={"baseline_mutant": True})
    for _ in range(missing):
        if not Job.objects.filter(pk=search.job_id, state=JobState.RUNNING, cancel_requested=False).exists():
            break  # cancelled meanwhile: start nothing more
        asking = study.study_open(name=search.study_name, params=search.params,
                                  trials_so_far=len(opened.get_trials(deepcopy=False)))
        trial = asking.ask(distributions)
        _check_generation(search, asking, trial._trial_id)
        if not _start(search, trial._trial_id, trial.number, trial.params):
            break
    return True


def _check_generation(search: Search, opened, trial_id: int) -> None:
    generation = opened.sampler.get_trial_generation(opened, opened._storage.get_trial(trial_id))
    if generation != search.generation - 1:
        log.warning("search %s: trial %s is NSGA-II generation %s, the controller's is %s", search.pk, trial_id,
                    generation + 1, search.generation)


def _start(search: Search, trial_id: int, number: int, genome: dict) -> Individual | None:
    """Start the trial's training run and its individual; None (nothing written) when the owner's job quota is
    full: the trial stays RUNNING without a row and a later step, after a run has ended, adopts it."""
    params = search.params
    hyperparameters, imgsz, preset = genome_run_arguments(genome, imgsz=params["imgsz"], preset=search.preset)
    try:
        with transaction.atomic(), jobs_not_counted(search.job_id):  # the search's own job is not one of its runs
            run = training_run_start(owner=search.owner, dataset=search.dataset, parent_model=search.model,
                                     preset=preset or None, name=f"search-{search.pk}", epochs=params["epochs"],
                                     imgsz=imgsz, batch=params["batch"], seed=params["seed"],
                                     patience=params["epochs"], time_limit_seconds=params["time_limit_seconds"],
                                     hyperparameters=hyperparameters)
            return Individual.objects.create(search=search, generation=search.generation, number=number,
                                             trial_id=trial_id, hyperparameters=dict(genome), training_run=run)
    except QuotaExceeded as exc:
        log.info("search %s: trial %s waits for a free job slot: %s", search.pk, number, exc)
        return None


def _carry_elites(search: Search, opened, distributions: dict, *, limit: int) -> int:
    """Carry the best `elitism` individuals of the previous generation into this one unchanged: their trial is
    re-asked with the same genome and told the same result (no retraining), so the best genome so far is always
    in the population and NSGA-II's survival sees it. Returns how many were carried."""
    count = min(search.params.get("elitism", 0), limit)
    previous = search.individuals.filter(generation=search.generation - 1, state=IndividualState.SUCCEEDED,
                                         fitness__isnull=False).order_by("-fitness", "number")[:count]
    carried = 0
    for elite in previous:
        opened.enqueue_trial(elite.hyperparameters, user_attrs={"elite_of": elite.number})
        trial = opened.ask(distributions)
        _check_generation(search, opened, trial._trial_id)
        original = elite.elite_of or elite
        Individual.objects.create(search=search, generation=search.generation, number=trial.number,
                                  trial_id=trial._trial_id, hyperparameters=dict(trial.params),
                                  training_run=elite.training_run, state=IndividualState.SUCCEEDED,
                                  fitness=elite.fitness, latency_ms=elite.latency_ms, elite=True, elite_of=original)
        carried += 1
    return carried


def _progress(search: Search) -> None:
    """The search job's progress: individuals told out of the budget, the generation, an ETA from the pace so far.
    Written directly (not lifecycle.job_set_progress, which also stamps a heartbeat: see the module docstring)."""
    job = Job.objects.get(pk=search.job_id)
    total = search.population * search.generations
    done = search.individuals.filter(told=True).count()
    fraction = min(done / total, 0.99) if total else 0.0
    generation = Search.objects.values_list("generation", flat=True).get(pk=search.pk)
    in_generation = search.individuals.filter(generation=generation, told=True).count()
    message = f"generation {generation}/{search.generations}: {in_generation}/{search.population} individuals done"
    eta = None
    if fraction > 0 and job.started_at:
        elapsed = (timezone.now() - job.started_at).total_seconds()
        eta = round(elapsed * (1 - fraction) / fraction, 1)
    if (job.progress, job.progress_message) != (fraction, message):
        Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            progress=fraction, progress_message=message, eta_seconds=eta, updated_at=timezone.now())
        lifecycle.publish(job.pk, {"progress": fraction, "message": message, "eta_seconds": eta})

