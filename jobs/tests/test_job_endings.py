"""How a job body's exception is recorded: a message meant for users alone, anything else with its type."""
from types import SimpleNamespace

from core.errors import NotFound
from jobs import lifecycle, runner


def test_a_domain_error_fails_the_job_with_its_message_as_a_permanent_error_does():
    ctx = SimpleNamespace(partial_result={"epochs": 2})
    for exc in (NotFound("dataset 3 no longer exists"), runner.PermanentJobError("dataset 3 no longer exists")):
        outcome, recorded = runner._ending(ctx, exc)
        assert outcome is lifecycle.job_fail
        assert recorded == {"error": "dataset 3 no longer exists", "result": {"epochs": 2}}


def test_any_other_exception_fails_the_job_with_its_type_and_text():
    outcome, recorded = runner._ending(SimpleNamespace(job_id=7, partial_result=None), RuntimeError("stop here"))
    assert outcome is lifecycle.job_fail and recorded == {"error": "RuntimeError: stop here", "result": None}
