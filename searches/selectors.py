"""Reads for searches: the searches a user may see (owner and admins), their individuals, the best so far."""
from django.db.models import Prefetch, Q

from accounts.visibility import visible_to
from core.errors import NotFound
from jobs.models import JobState

from .models import INDIVIDUAL_ACTIVE_STATES, Individual, IndividualState, Search


def search_list(*, user):
    """The searches `user` may see, each with its best individual so far fetched along (no query per search)."""
    best_first = (Individual.objects.filter(state=IndividualState.SUCCEEDED, elite=False, fitness__isnull=False)
                  .select_related("training_run__job").order_by("-fitness", "number"))
    searches = (Search.objects.select_related("owner", "job", "dataset", "model", "best__training_run__job",
                                              "best_model")
                .prefetch_related(Prefetch("individuals", queryset=best_first[:1], to_attr="best_evaluated")))
    return visible_to(searches, user)


def search_get(*, user, search_id: int) -> Search:
    """The search if `user` may see it; 404 otherwise (another engineer's ids are not confirmed)."""
    search = search_list(user=user).filter(pk=search_id).first()
    if search is None:
        raise NotFound("No search with this id is visible to you.")
    return search


def search_individuals(*, search: Search):
    return search.individuals.select_related("training_run__job").order_by("number")


def search_evaluated(*, search: Search):
    """Individuals that evaluated a genome themselves (elite copies point at the same run as their original)."""
    return search.individuals.filter(state=IndividualState.SUCCEEDED, elite=False, fitness__isnull=False)


def search_best_so_far(*, search: Search) -> Individual | None:
    """The finished best: the search's chosen best once it has ended, else the highest fitness evaluated so far."""
    if search.best_id:
        return search.best
    if hasattr(search, "best_evaluated"):  # fetched along by search_list
        return search.best_evaluated[0] if search.best_evaluated else None
    return search_evaluated(search=search).order_by("-fitness", "number").first()


def searches_needing_a_step():
    """Job ids of the searches a sweep should step: not over, or over with individuals still active."""
    return (Search.objects.filter(Q(job__state__in=[JobState.QUEUED, JobState.RUNNING])
                                  | Q(individuals__state__in=INDIVIDUAL_ACTIVE_STATES))
            .values_list("job_id", flat=True).distinct())
