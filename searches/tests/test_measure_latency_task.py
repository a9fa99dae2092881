"""searches.measure_latency exports and times only an individual still waiting for its latency: one cancelled with
its search, or measured already (a resend), costs no gpu slot."""
import pytest

from searches import tasks
from searches.models import Individual, IndividualState
from tests.support.rows import individual_row, search_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def measured(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks, "individual_measure_latency", lambda *, individual: calls.append(individual.pk))
    monkeypatch.setattr(tasks, "search_step_later", lambda *, search_job_id: None)
    return calls


def test_it_measures_an_individual_waiting_for_its_latency(alice, demo_dataset, measured):
    individual = individual_row(search=search_row(owner=alice, dataset=demo_dataset), state=IndividualState.MEASURING)
    tasks.measure_latency(individual.pk)
    assert measured == [individual.pk]


def test_it_skips_a_cancelled_or_already_measured_individual(alice, demo_dataset, measured):
    cancelled = individual_row(search=search_row(owner=alice, dataset=demo_dataset), state=IndividualState.CANCELLED)
    tasks.measure_latency(cancelled.pk)
    Individual.objects.filter(pk=cancelled.pk).update(state=IndividualState.MEASURING, latency_ms=12.5)
    tasks.measure_latency(cancelled.pk)
    tasks.measure_latency(cancelled.pk + 1000)  # deleted with its search
    assert measured == []
