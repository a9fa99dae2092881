"""searches.measure_latency exports and times only an individual still waiting for its latency: one cancelled with
its search, or measured already (a resend), costs no gpu slot."""
import pytest

from jobs.models import Job, JobKind, JobState
from searches import tasks
from searches.models import Individual, IndividualState, Search

pytestmark = pytest.mark.django_db


@pytest.fixture
def measured(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks, "individual_measure_latency", lambda *, individual: calls.append(individual.pk))
    monkeypatch.setattr(tasks, "search_step_later", lambda *, search_job_id: None)
    return calls


def an_individual(owner, dataset, **fields) -> Individual:
    job = Job.objects.create(kind=JobKind.SEARCH, owner=owner, queue="default", state=JobState.RUNNING)
    search = Search.objects.create(owner=owner, job=job, dataset=dataset, preset="yolov8n", params={})
    return Individual.objects.create(search=search, generation=1, number=0, trial_id=1, **fields)


def test_it_measures_an_individual_waiting_for_its_latency(alice, demo_dataset, measured):
    individual = an_individual(alice, demo_dataset, state=IndividualState.MEASURING)
    tasks.measure_latency(individual.pk)
    assert measured == [individual.pk]


def test_it_skips_a_cancelled_or_already_measured_individual(alice, demo_dataset, measured):
    cancelled = an_individual(alice, demo_dataset, state=IndividualState.CANCELLED)
    tasks.measure_latency(cancelled.pk)
    Individual.objects.filter(pk=cancelled.pk).update(state=IndividualState.MEASURING, latency_ms=12.5)
    tasks.measure_latency(cancelled.pk)
    tasks.measure_latency(cancelled.pk + 1000)  # deleted with its search
    assert measured == []
