"""DELETE /api/conversions/{id}/: a finished conversion goes with its job; the version it produced stays."""
import pytest

from jobs.models import Job, JobState
from registry.models import Conversion, ModelVersion
from tests.support.rows import conversion_row, model_row

pytestmark = pytest.mark.django_db


def test_the_requester_reads_and_deletes_a_finished_conversion_and_its_result_stays(api, alice):
    source = model_row(owner=alice)
    onnx = model_row(owner=alice, format="onnx", source="conversion", parent=source)
    conversion = conversion_row(source=source, result=onnx)

    assert api(alice).get(f"/api/conversions/{conversion.pk}/").json()["result"] == onnx.pk
    assert api(alice).delete(f"/api/conversions/{conversion.pk}/").status_code == 204
    assert not Conversion.objects.exists()
    assert not Job.objects.filter(pk=conversion.job_id).exists()
    assert ModelVersion.objects.filter(pk=onnx.pk).exists()


def test_a_queued_or_running_conversion_is_409_until_it_has_stopped(api, alice):
    conversion = conversion_row(source=model_row(owner=alice), state=JobState.RUNNING)

    response = api(alice).delete(f"/api/conversions/{conversion.pk}/")

    assert response.status_code == 409
    assert f"cancel it (POST /api/jobs/{conversion.job_id}/cancel/)" in response.json()["detail"]
    Job.objects.filter(pk=conversion.job_id).update(state=JobState.CANCELLED)
    assert api(alice).delete(f"/api/conversions/{conversion.pk}/").status_code == 204


def test_another_engineers_conversion_is_not_found_a_viewer_may_not_delete_and_an_admin_may(api, alice, carol,
                                                                                          bob, root):
    conversion = conversion_row(source=model_row(owner=alice, shared=True))

    assert api(carol).delete(f"/api/conversions/{conversion.pk}/").status_code == 404
    assert api(bob).delete(f"/api/conversions/{conversion.pk}/").status_code == 404
    assert api(root).delete(f"/api/conversions/{conversion.pk}/").status_code == 204
