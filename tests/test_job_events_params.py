"""The event stream's parameters: a bound that is not a finite number is a 400 (NaN would keep it open for ever)."""
import pytest

from jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "soon"])
def test_a_max_seconds_that_is_not_a_finite_number_is_a_400(alice, api, value):
    job = Job.objects.create(kind="diagnostic", owner=alice, queue="gpu")
    response = api(alice).get(f"/api/jobs/{job.id}/events/?max_seconds={value}")
    assert response.status_code == 400 and "max_seconds" in response.json()["detail"]
