"""Live progress over server-sent events, through a real worker."""
import json

import pytest

from jobs.services import job_enqueue

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def test_events_stream_progress_until_the_job_ends(alice, api, gpu_worker):
    job = job_enqueue(kind="diagnostic", owner=alice, task_name="tests.sleep", queue="gpu", params={"seconds": 2})
    response = api(alice).get(f"/api/jobs/{job.id}/events/?max_seconds=60")
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    events = []
    for chunk in response.streaming_content:
        text = chunk.decode()
        if text.startswith("event: job"):
            events.append(json.loads(text.split("data: ", 1)[1]))
        if text.startswith("event: end"):
            break
    states = [event["state"] for event in events]
    assert states[-1] == "SUCCEEDED"
    assert any(0 < event["progress"] < 1 for event in events)


def test_events_need_a_token_and_a_visible_job(alice, carol, api):
    job = job_enqueue(kind="diagnostic", owner=carol, task_name="tests.sleep", queue="gpu", params={"seconds": 0})
    from rest_framework.test import APIClient

    assert APIClient().get(f"/api/jobs/{job.id}/events/").status_code == 401
    assert api(alice).get(f"/api/jobs/{job.id}/events/").status_code == 404
