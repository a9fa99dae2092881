"""Shared fixtures: named personas, authenticated API clients and real Celery worker processes."""
import time

import pytest
from rest_framework.test import APIClient

from tests.ml_fixtures import demo_dataset, demo_dataset_tree, tiny_model, tiny_weights  # noqa: F401
from tests.support.rows import PASSWORD, user_row  # noqa: F401 (PASSWORD: tests import it from here)
from tests.workers import WorkerProcess, default_worker_args, gpu_worker_args


@pytest.fixture(autouse=True)
def _reset_throttles():
    """Forget login throttle counters between tests (only those: the same Redis holds the broker's queues)."""
    from core.redis import redis_client

    client = redis_client()
    keys = list(client.scan_iter(match="*throttle_*", count=1000))
    if keys:
        client.delete(*keys)
    yield


@pytest.fixture(autouse=True)
def _jobs_ended_before_the_tables_are_emptied(request):
    """A transactional test ends with its tables truncated. A worker that claims or finishes one of the test's jobs
    meanwhile (a transition updates jobs_job and inserts its history in one transaction) can deadlock that TRUNCATE
    on PostgreSQL. So the test's queued jobs are cancelled and its running ones are waited for (they stop at their
    next checkpoint, or the reaper fails them) before the tables are emptied."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" not in request.fixturenames and not (marker and marker.kwargs.get("transaction")):
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first, so torn down after this fixture's end
    yield
    from jobs.lifecycle import job_request_cancel
    from jobs.models import Job, JobState
    from jobs.rerun import jobs_reap_lost
    from tests.waiting import wait_for

    for job in Job.objects.filter(state__in=[JobState.QUEUED, JobState.RUNNING]):
        job_request_cancel(job=job)

    def none_running():
        jobs_reap_lost()  # a job whose worker the test killed, where no beat runs the reaper
        return not Job.objects.filter(state=JobState.RUNNING).exists()

    wait_for(none_running, timeout=60, interval=0.05, message="the test's running jobs to end")


@pytest.fixture
def root(db):
    """Rita, an admin."""
    return user_row(username="rita", role="admin")


@pytest.fixture
def alice(db):
    """Alice, an engineer."""
    return user_row(username="alice", role="engineer")


@pytest.fixture
def carol(db):
    """Carol, another engineer."""
    return user_row(username="carol", role="engineer")


@pytest.fixture
def bob(db):
    """Bob, a viewer."""
    return user_row(username="bob", role="viewer")


def client_for(user) -> APIClient:
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def api():
    return client_for


class _Workers:
    """Session-wide worker processes, restarted when a test killed one."""

    def __init__(self):
        self.running: dict[str, WorkerProcess] = {}

    def get(self, name: str, args) -> WorkerProcess:
        worker = self.running.get(name)
        if worker is None or not worker.alive:
            worker = WorkerProcess(name, args()).start()
            self.running[name] = worker
        return worker

    def stop_all(self):
        for worker in self.running.values():
            worker.stop()


@pytest.fixture(scope="session")
def _database_sessions_closed(django_db_setup, django_db_blocker):
    """Session fixtures that start processes depend on this one, so after they stopped it waits for their database
    sessions to close (on PostgreSQL a backend outlives its killed client by a moment): the test database can
    then be dropped. Sessions still open after 10 s are terminated."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) {others}")
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)
        cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")


@pytest.fixture(scope="session")
def _workers(_database_sessions_closed):
    workers = _Workers()
    yield workers
    workers.stop_all()


@pytest.fixture
def gpu_worker(_workers, transactional_db):
    return _workers.get("gpu", gpu_worker_args)


@pytest.fixture
def default_worker(_workers, transactional_db):
    return _workers.get("default", default_worker_args)


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 server (SeaweedFS, tests/s3_server.py) for the session; take a bucket of your own with .bucket()."""
    from tests.environment import RUN_DIR
    from tests.s3_server import S3Server

    with S3Server(RUN_DIR / "s3") as server:
        yield server


@pytest.fixture
def s3_storage(s3_server, settings, tmp_path):
    """This test's artifacts in a fresh bucket of the session's S3 server, and its own artifact cache."""
    options = {key.lower().removeprefix("artifact_s3_"): value for key, value in
               s3_server.env(bucket=s3_server.bucket()).items() if key.startswith("ARTIFACT_S3_")}
    options = {"endpoint_url": options["endpoint_url"], "bucket_name": options["bucket"],
               "access_key": options["access_key_id"], "secret_key": options["secret_access_key"],
               "region_name": options["region"], "addressing_style": "path", "file_overwrite": True}
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage",
                                                          "OPTIONS": options}}
    settings.ARTIFACT_CACHE_DIR = tmp_path / "artifact-cache"
    return s3_server
