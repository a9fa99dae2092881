"""Search tests that make RUNNING job rows without a worker (to drive receivers and the end of a search directly)
leave their heartbeat empty, like a real search job, so the suite's reaper (the session's default worker runs beat
every second) does not fail them mid-test. After the test those rows get a long-stale heartbeat, so the reaper ends
them and the suite's teardown, which waits for running jobs, does not wait for them."""
from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def end_workerless_jobs_after_the_test(transactional_db):
    yield
    from jobs.models import Job, JobState

    Job.objects.filter(state=JobState.RUNNING, heartbeat_at__isnull=True, worker="") \
        .update(heartbeat_at=timezone.now() - timedelta(hours=1))
