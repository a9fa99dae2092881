"""Schemathesis over the whole OpenAPI schema, as an engineer and as a viewer: no 5xx and no answer the schema
does not describe (status code, content type, body).

In the suite each operation gets a small fixed budget (FUZZ_EXAMPLES, default 3 valid + 3 invalid examples, seeded
so a run is repeatable); `make fuzz` runs the same test with a bigger budget and a random seed. Requests go
through the whole Django stack (WSGI: middleware, JWT authentication, parsers, views) against the test database,
where rows of every kind exist so that small ids hit real objects. Nothing reaches a worker: jobs are created in
the test's transaction and their tasks are only sent on commit, which never comes.
"""
import contextlib
import os
import re
import time

import pytest

from tests.support.rows import conversion_row, dataset_row, job_row, model_row, training_run_row
from tests.web_server import gunicorn_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
SEED = os.environ.get("FUZZ_SEED", "0")  # "random": a new seed each run (make fuzz)
# Operations that can only be exercised with real files or workers, or that log in (a password hash per example):
# skipped in the suite's small run, included by `make fuzz` (FUZZ_ALL=1).
SLOW = {("POST", "/api/auth/token/"), ("POST", "/api/auth/password/")}


# gunicorn's log lines for bytes it could not parse as a request line: on a kept-alive connection, the rest of an
# earlier request's body taken for the next request (issue 21). Not "Request Line is too large": the fuzzer's own
# long query strings (a 150-character filter made 5,000 bytes long) get that, a 400 from gunicorn before the app.
DESYNC = re.compile(r"Invalid HTTP (?:request line|method|Version).*")


def _schema(in_process: bool = True):
    import schemathesis
    from drf_spectacular.generators import SchemaGenerator

    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(raw)
    if in_process:
        from config.wsgi import application

        schema.app = application
    return schema


def _no_server_fault(ctx, response, case):
    """schemathesis' not_a_server_error, except a 503: here that is a dependency reported down on purpose (no worker
    or inference pool runs in this test), documented on every operation, never a fault of the web process."""
    from schemathesis.core.failures import ServerError

    if response.status_code >= 500 and response.status_code != 503:
        raise ServerError(operation=case.operation.label, status_code=response.status_code)
    return None


def _checks():
    from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                                   response_schema_conformance, status_code_conformance)

    # The schema must say what the server refuses: data it calls invalid gets a 4xx. (positive_data_acceptance is
    # left out: a schema cannot say that an upload is a readable zip or a refresh token is live.)
    return [_no_server_fault, status_code_conformance, content_type_conformance, response_schema_conformance,
            negative_data_rejection]


def _rows(owner, other):
    """A few objects of every kind, owned by the persona and by someone else, some shared."""
    for user in (owner, other):
        model_row(owner=user), model_row(owner=user, shared=True, format="onnx")
        dataset_row(owner=user, shared=True)
        training_run_row(owner=user)
        conversion_row(owner=user)
        job_row(owner=user, state="RUNNING")


@contextlib.contextmanager
def _connections_kept_open():
    """As Django's test client does: a request must not close the test's database connection (its transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(user, headers, *, base_url: str | None = None, modes=None, checks=None) -> tuple[list[str], int]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    import requests

    checks = checks or _checks()
    failures, calls = [], 0
    run_all = os.environ.get("FUZZ_ALL") == "1"
    session = requests.Session() if base_url else None  # one kept-alive connection, as a real client keeps
    for result in _schema(in_process=base_url is None).get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key in SLOW and not run_all:
            continue
        for mode in modes or (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=SEED != "random",
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                nonlocal calls
                calls += 1
                response = case.call(headers=headers, base_url=base_url, session=session)
                case.validate_response(response, checks=checks, headers=headers)

            try:
                with _connections_kept_open():
                    run()
            except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
                pass
            except (Exception, BaseExceptionGroup) as exc:  # one entry per failing operation and mode
                failures.append(f"{key[0]} {key[1]} ({mode.value}): {str(exc).strip()[:1500]}")
    return failures, calls


@pytest.mark.parametrize("persona", ["engineer", "viewer"])
def test_fuzzing_the_schema_finds_no_server_error_and_no_undocumented_answer(persona, alice, bob, carol):
    from rest_framework_simplejwt.tokens import RefreshToken

    user = alice if persona == "engineer" else bob
    _rows(alice, carol)
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    started = time.monotonic()
    failures, calls = _fuzz(user, headers)
    print(f"\nfuzz as {persona}: {calls} requests in {time.monotonic() - started:.1f} s, {len(failures)} failing")
    assert calls > 0
    assert not failures, "\n\n".join(failures)


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_fuzzing_gunicorn_on_kept_alive_connections_reads_no_body_as_a_request(alice, carol, gunicorn_server):
    """The invalid half of the fuzz through platform/gunicorn.conf.py on one kept-alive connection: many of these
    are answered before their body is read (401, 404, 413, a parse error), the case that left bodies to be parsed
    as requests. The web log must show no such line."""
    from rest_framework_simplejwt.tokens import RefreshToken
    from schemathesis import GenerationMode

    url = gunicorn_server.url
    _rows(alice, carol)
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(alice).access_token}"}
    try:
        # conformance is the in-process runs' job; here: no 5xx, and the web log
        failures, calls = _fuzz(alice, headers, base_url=url, modes=(GenerationMode.NEGATIVE,),
                                checks=[_no_server_fault])
    finally:  # committed rows: their "running" jobs have no worker to end them before the tables are emptied
        from jobs.models import Job

        Job.objects.filter(state="RUNNING").update(state="FAILED")
    log = gunicorn_server.log()
    desyncs = DESYNC.findall(log)
    print(f"\nfuzz through gunicorn: {calls} requests, {len(failures)} failing, {len(desyncs)} desync lines")
    assert calls > 0
    assert not desyncs, "bodies parsed as requests:\n" + "\n".join(desyncs[:20])
    assert not failures, "\n\n".join(failures)
