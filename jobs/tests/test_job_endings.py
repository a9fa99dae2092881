"""How a job body's exception is recorded: a message meant for users alone, anything else with its type."""
import signal
import time
from types import SimpleNamespace

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from core.errors import NotFound
from jobs import lifecycle, runner
from jobs.models import Job, JobState
from tests.support.rows import job_row, user_row


def test_a_domain_error_fails_the_job_with_its_message_as_a_permanent_error_does():
    ctx = SimpleNamespace(partial_result={"epochs": 2})
    for exc in (NotFound("dataset 3 no longer exists"), runner.PermanentJobError("dataset 3 no longer exists")):
        outcome, recorded = runner._ending(ctx, exc)
        assert outcome is lifecycle.job_fail
        assert recorded == {"error": "dataset 3 no longer exists", "result": {"epochs": 2}}


def test_any_other_exception_fails_the_job_with_its_type_and_text():
    outcome, recorded = runner._ending(SimpleNamespace(job_id=7, partial_result=None), RuntimeError("stop here"))
    assert outcome is lifecycle.job_fail and recorded == {"error": "RuntimeError: stop here", "result": None}


def _timeout_ctx():
    return SimpleNamespace(job_id=7, partial_result={"epochs": 3},
                           timeout_message=lambda: "timeout: the job ran past its time limit (6 s)")


def test_an_error_raised_while_the_time_limit_unwinds_fails_the_job_as_a_timeout():
    # The limit's signal cut a query short; the transaction's clean-up then failed on that connection.
    try:
        try:
            raise SoftTimeLimitExceeded()
        finally:
            raise ProgrammingError("can't change 'autocommit' now: connection in transaction status ACTIVE")
    except ProgrammingError as exc:
        outcome, recorded = runner._ending(_timeout_ctx(), exc)
    assert outcome is lifecycle.job_fail
    assert recorded == {"error": "timeout: the job ran past its time limit (6 s)", "result": {"epochs": 3}}


def test_a_permanent_error_raised_for_the_time_limit_keeps_its_own_message():
    try:
        try:
            raise SoftTimeLimitExceeded()
        except SoftTimeLimitExceeded:
            raise runner.PermanentJobError("timeout: the run passed its time limit of 6 s after 2 epoch(s)") from None
    except runner.PermanentJobError as exc:
        outcome, recorded = runner._ending(_timeout_ctx(), exc)
    assert recorded["error"] == "timeout: the run passed its time limit of 6 s after 2 epoch(s)"


def test_soft_limit_hit_follows_causes_and_contexts_only():
    assert runner.soft_limit_hit(SoftTimeLimitExceeded())
    assert not runner.soft_limit_hit(RuntimeError("unrelated"))
    chained = RuntimeError("outer")
    chained.__cause__ = ValueError("middle")
    chained.__cause__.__context__ = SoftTimeLimitExceeded()
    assert runner.soft_limit_hit(chained)


# PostgreSQL: the signal cuts this query short. SQLite runs a query in C without giving Python's signal handler a
# turn, so there the limit lands in the sleep that follows (nothing is cut short; the recording path is the same).
SLOW_QUERY = {"postgresql": "SELECT pg_sleep(3)", "sqlite": "SELECT 1"}


@pytest.mark.django_db(transaction=True)
def test_a_time_limit_that_cuts_a_query_short_ends_the_job_as_a_timeout_on_a_fresh_connection():
    """The real thing, as the CI run that found it: the limit's signal lands inside a query (billiard raises it from
    a signal handler), a clean-up on the way out opens a transaction on that cut-short connection and fails
    (PostgreSQL: "can't change 'autocommit' now"); the job's end is still recorded, as a timeout."""
    owner = user_row(username="limited")
    job = job_row(owner=owner, state=JobState.RUNNING)

    def limit_reached(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, limit_reached)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    caught = None
    try:
        try:
            with connection.cursor() as cursor:
                cursor.execute(SLOW_QUERY[connection.vendor])
            time.sleep(5)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    except SoftTimeLimitExceeded as limit:
        caught = limit
        try:
            with transaction.atomic():  # keeping what was done so far, on the same connection
                Job.objects.filter(pk=job.pk).update(progress_message="keeping the partial result")
        except Exception as exc:
            caught = exc
    if connection.vendor == "postgresql":
        assert "can't change 'autocommit' now" in str(caught)
    assert runner.soft_limit_hit(caught), repr(caught)
    outcome, recorded = runner._ending(_timeout_ctx(), caught)
    assert runner._record(outcome, job_id=job.pk, **recorded)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == "timeout: the job ran past its time limit (6 s)"
