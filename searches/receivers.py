"""Signal receivers that keep searches moving: a finished individual's job triggers a controller step; an epoch of
an individual's run is reported to the pruner. Connected in apps.py; both signals are sent with `send_robust`."""
import logging

from jobs.models import JobKind

from .measures import fitness_of
from .models import Individual, IndividualState
from .services import individual_report_epoch, search_step_later

log = logging.getLogger(__name__)


def on_job_finished(sender, job_id: int, state: str, kind: str = "", **kwargs) -> None:
    if kind != JobKind.TRAINING:
        return
    search_job_id = (Individual.objects.filter(training_run__job_id=job_id)
                     .values_list("search__job_id", flat=True).first())
    if search_job_id is not None:
        log.info("job %s of a search individual ended (%s): stepping search job %s", job_id, state, search_job_id)
        search_step_later(search_job_id=search_job_id)


def on_epoch_ended(sender, run, epoch: int, values: dict, **kwargs) -> None:
    individual = (Individual.objects.select_related("search", "training_run__job")
                  .filter(training_run=run, state=IndividualState.TRAINING, elite=False).first())
    if individual is None or not individual.search.params.get("prune") or individual.search.multi_objective:
        return
    individual_report_epoch(individual=individual, epoch=epoch,
                            fitness=fitness_of(map50=values.get("map50"), map50_95=values.get("map50_95")))
