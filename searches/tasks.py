"""Thin Celery tasks for searches: the controller step and the sweep (default queue), the latency measurement (gpu).

`searches.step(job_id)` takes the search's job id (the id job_enqueue sends the first step with).
"""
import logging

from celery import shared_task

from .controller import search_step
from .models import Individual, IndividualState
from .selectors import searches_needing_a_step
from .services import LATENCY_TASK_NAME, STEP_TASK_NAME, individual_measure_latency, search_step_later


log = logging.getLogger(__name__)


@shared_task(name=STEP_TASK_NAME, ignore_result=True)
def step(job_id: int) -> str:
    return search_step(job_id=int(job_id))


@shared_task(name="searches.sweep", ignore_result=True)
def sweep() -> int:
    """Step every search that is not over (and clean up after any that is, if individuals still run): what makes a
    search resume after its control worker was killed, whatever events were lost with it."""
    job_ids = list(searches_needing_a_step())
    for job_id in job_ids:
        try:
            search_step(job_id=job_id)
        except Exception:  # one broken search must not stop the others'
            log.exception("the sweep's step of search job %s failed", job_id)
    return len(job_ids)


@shared_task(name=LATENCY_TASK_NAME, ignore_result=True)
def measure_latency(individual_id: int) -> None:
    individual = Individual.objects.select_related("search").filter(pk=individual_id).first()
    if individual is None or individual.state != IndividualState.MEASURING or individual.latency_ms is not None:
        return  # cancelled with its search, or measured already (a resend): no export in a gpu slot for nothing
    individual_measure_latency(individual=individual)
    search_step_later(search_job_id=individual.search.job_id)
