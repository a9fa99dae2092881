"""Job visibility, filters and cancel rules, without workers."""
import pytest

from jobs.models import Job, JobState

pytestmark = pytest.mark.django_db


def make_job(owner, **fields):
    return Job.objects.create(kind="diagnostic", owner=owner, **fields)


def test_an_engineer_sees_only_their_own_jobs(alice, carol, api):
    mine = make_job(alice)
    make_job(carol)
    ids = [job["id"] for job in api(alice).get("/api/jobs/").json()["results"]]
    assert ids == [mine.id]


def test_an_admin_sees_all_jobs(root, alice, carol, api):
    make_job(alice), make_job(carol)
    assert api(root).get("/api/jobs/").json()["count"] == 2


def test_another_engineers_job_is_not_found(alice, carol, api):
    theirs = make_job(carol)
    assert api(alice).get(f"/api/jobs/{theirs.id}/").status_code == 404
    assert api(alice).post(f"/api/jobs/{theirs.id}/cancel/").status_code == 404


def test_jobs_filter_by_state_and_kind(alice, api):
    make_job(alice, state=JobState.FAILED)
    make_job(alice)
    body = api(alice).get("/api/jobs/?state=FAILED&kind=diagnostic").json()
    assert body["count"] == 1


def test_a_bad_filter_is_named(alice, api):
    response = api(alice).get("/api/jobs/?state=EXPLODED")
    assert response.status_code == 400 and "state" in response.json()["detail"]


def test_a_viewer_cannot_start_a_probe(bob, api):
    assert api(bob).post("/api/jobs/probe/", {"queue": "gpu"}, format="json").status_code == 403


def test_a_bad_probe_queue_is_named(alice, api):
    response = api(alice).post("/api/jobs/probe/", {"queue": "moon"}, format="json")
    assert response.status_code == 400 and "queue" in response.json()["detail"]


def test_cancelling_a_finished_job_is_a_conflict(alice, api):
    job = make_job(alice, state=JobState.SUCCEEDED)
    assert api(alice).post(f"/api/jobs/{job.id}/cancel/").status_code == 409


def test_illegal_transitions_are_refused(alice):
    from jobs import lifecycle

    job = make_job(alice, state=JobState.SUCCEEDED)
    assert lifecycle.job_succeed(job_id=job.id, result={}) is False
    assert lifecycle.transition(job_id=job.id, to_state=JobState.QUEUED) is False  # only RUNNING may go back
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.transition(job_id=job.id, to_state=JobState.QUEUED, from_states=[JobState.SUCCEEDED])


def test_the_reaper_fails_a_job_whose_heartbeat_stopped(alice):
    from datetime import timedelta

    from django.utils import timezone

    from jobs import rerun

    stale = make_job(alice, state=JobState.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1))
    fresh = make_job(alice, state=JobState.RUNNING, heartbeat_at=timezone.now())
    assert rerun.jobs_reap_lost() == [stale.id]
    stale.refresh_from_db(), fresh.refresh_from_db()
    assert stale.state == JobState.FAILED and "worker lost" in stale.error
    assert fresh.state == JobState.RUNNING


def test_only_the_jobs_own_task_may_claim_it(alice):
    from jobs import lifecycle

    job = make_job(alice, celery_task_id="the-real-task")
    assert lifecycle.job_claim(job_id=job.id, worker="w", task_id="a-stale-message") is False
    assert lifecycle.job_claim(job_id=job.id, worker="w", task_id="the-real-task") is True
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.attempts == 1
