"""For the training run, model and benchmark collectors: the search a training run or model came from."""
from searches.models import Individual
from searches.selectors import search_list

from .common import number


def search_of(*, user, job_id: int | None, training_run_id: int | None = None) -> dict | None:
    """The search a job or training run came from: the individual whose training run is `training_run_id` (or ran
    as job `job_id`), and its search, if `user` (the report's owner) may see that search."""
    found = Individual.objects.filter(elite=False, search__in=search_list(user=user))
    if training_run_id is not None:
        found = found.filter(training_run_id=training_run_id)
    elif job_id is not None:
        found = found.filter(training_run__job_id=job_id)
    else:
        return None
    individual = found.select_related("search").first()
    if individual is None:
        return None
    return {"search": individual.search_id, "individual": individual.pk, "generation": individual.generation,
            "trial": individual.number, "fitness": number(individual.fitness),
            "latency_ms": number(individual.latency_ms), "genome": dict(individual.hyperparameters or {})}
